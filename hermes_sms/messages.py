"""User-facing texts gathered in one place, so wording stays consistent and reviewable.

Only plain strings and tiny formatting helpers live here: no I/O, no rendering library.
"""

from __future__ import annotations

SETUP_HINT = (
    "Run `hermes-sms setup` to create the configuration, or set the variables in {env_file}."
)
MISSING_VARIABLE = "{name} is not set ({meaning})."
CONFIG_PROBLEMS_HEADER = "The configuration has a problem:"
CONFIG_PROBLEMS_HEADER_PLURAL = "The configuration has {count} problems:"

# $HERMES_HOME itself (hermes_sms.home, hermes_sms.config). Without a final period: callers
# append their own sentence or period.
HOME_NOT_A_DIRECTORY = "HERMES_HOME {home} is not a directory"
HOME_UNREADABLE = (
    "cannot read HERMES_HOME {home}: {reason}; it must be a folder of yours "
    "(`chmod 700 {home}`), or point HERMES_HOME at another one"
)
HOME_CANNOT_CREATE = "cannot create HERMES_HOME {home}: {reason}"
HOME_CANNOT_USE = "cannot use HERMES_HOME {home}: {reason}"
HOME_SHARED = (
    "HERMES_HOME {home} is shared with other users (mode {mode:04o}), so it cannot hold your "
    "auth token and messages: point HERMES_HOME (or --home) at a private directory of your "
    "own, such as ~/.hermes"
)
HOME_NOT_YOURS = (
    "HERMES_HOME {home} belongs to {owner}, not to you, so you cannot write to it or make it "
    "private: point HERMES_HOME (or --home) at a directory of your own, such as ~/.hermes"
)
HOME_TIGHTENED = "Tightened {home} from {old:04o} to 0700, so only you can read what it holds."
# A folder (or a device) where the .env file should be: neither read nor replaced by setup.
ENV_NOT_A_FILE = "{path} is not a regular file"
ENV_NOT_A_FILE_FIX = "Replace {path} with a file."
ENV_FILE_SYNTAX = (
    "{path}, line {line}: not a NAME=value setting (an unclosed quote?); fix or remove it"
)

NO_RECIPIENT = "No recipient: pass --to NUMBER or set SMS_HOME_CHANNEL (for example in {env_file})."
NO_MESSAGE = "No message: give it as an argument, or pipe it in with `-`."
NOT_UTF8 = "The message is not UTF-8 text; convert it first (for example with iconv)."
STDIN_UNREADABLE = "Cannot read the message from standard input: {reason}."
EMPTY_MESSAGE = "The message is empty after formatting; nothing to send."
SEND_FAILED = "Twilio did not accept part {index} of {total}: {error}"
SEND_NO_ANSWER = "Part {index} of {total} was not sent: {error}"
SEND_NO_ANSWER_IN_DOUBT = "Part {index} of {total} may or may not have reached Twilio: {error}"
SEND_IN_DOUBT = (
    "Twilio may have received part {index} before the answer was lost: check its message log "
    "(Twilio console → Monitor → Messaging) before sending it again."
)
SEND_PARTIAL = "Parts 1 to {sent} were sent before the failure; they are not sent again."
STDIN_IS_TTY = "Reading the message from the terminal: finish with Ctrl-D."
RECIPIENT_OPTED_OUT = (
    "{who} has opted out of messages from this number ({how} on {date}); nothing was sent. "
    "Carriers forbid messaging them until they text START."
)
RECIPIENT_OPTED_OUT_DRY_RUN = (
    "Note: {who} has opted out ({how} on {date}); a real send would be refused."
)


def opt_out_how(reason: str) -> str:
    """How an opt-out came about, from the reason the gateway stored."""
    if reason == "21610":
        return "Twilio reported error 21610"
    return f"texted {reason}" if reason else "opted out"


def config_problems(problems: list[str]) -> str:
    """One message listing every configuration problem, so a user fixes them all in one go."""
    if len(problems) == 1:
        return f"{CONFIG_PROBLEMS_HEADER}\n  - {problems[0]}"
    header = CONFIG_PROBLEMS_HEADER_PLURAL.format(count=len(problems))
    return header + "".join(f"\n  - {problem}" for problem in problems)


# Appended to the gateway's "rejected webhook" log line.
SHARED_KEY_SIGNATURE = (
    "; the request says it is signed with a webhook SharedKey"
    " (X-Twilio-Webhooks-Signature-Settings), which the gateway cannot check: it verifies"
    " signatures made with TWILIO_AUTH_TOKEN"
)


# --- SMS texts the gateway sends (kept short: every segment is paid for) -------------------
RATE_LIMIT_NOTICE = "You're sending messages faster than I can answer. Please wait a few minutes."
AGENT_APOLOGY = "Sorry, I couldn't answer that just now. Please try again in a moment."
RESET_DONE = "Conversation cleared. Your next message starts fresh."
CHAT_HELP = (
    "Text me anything and I'll answer.\n"
    "/reset (or /new) - start a new conversation\n"
    "/help - this list\n"
    "STOP - no more messages, START - resume"
)
MEDIA_LINE = "[attachment {index}: {content_type} {url}]"


# --- `hermes-sms demo` ---------------------------------------------------------------------
DEMO_TEXTS_NEED_SCRIPT = (
    "Texts on the command line are sent only with --script: did you mean `{suggestion}`? "
    "Without it, the demo asks for each text."
)
DEMO_CANNOT_START = "The demo could not start: {error}"


# --- `hermes-sms setup` (the setup wizard) ------------------------------------------------
SETUP_INTRO = (
    "hermes-sms setup writes {env_file}.\n"
    "Enter keeps the value shown; Esc or Ctrl-C stops without writing anything."
)
SETUP_CANCELLED = "setup cancelled: nothing was written."
SETUP_NOTHING_WRITTEN = "Nothing was written."
SETUP_MISSING = "Missing required values (give them as flags or environment variables):"
SETUP_INVALID = "Some values are not usable:"
SETUP_NO_TTY_HINT = "Run `hermes-sms setup` in a terminal to be asked for them instead."
SETUP_BASE_URL_HINT = (
    "setup does not write TWILIO_API_BASE_URL (the address of a Twilio emulator): fix it, "
    "or remove it to use Twilio, where it is set: in the environment or in {env_file}."
)

SETUP_ASK_ACCOUNT_SID = "Twilio Account SID"
SETUP_HINT_ACCOUNT_SID = "(AC…, from the Account Info box on console.twilio.com)"
SETUP_ASK_AUTH_TOKEN = "Twilio Auth Token"
SETUP_ASK_UNVERIFIED = "The credentials could not be checked. What now?"
SETUP_CHOICE_RETRY = "Check again"
SETUP_CHOICE_REENTER = "Enter the Account SID and Auth Token again"
SETUP_CHOICE_SKIP_CHECK = "Continue without checking"
SETUP_ASK_PICK_NUMBER = "Which of the account's numbers should answer?"
SETUP_CHOICE_TYPE_NUMBER = "Type a number…"
SETUP_ASK_PHONE_NUMBER = "Twilio phone number (E.164, e.g. +15550100001)"
SETUP_ASK_MESSAGING_SERVICE = "Messaging Service SID (MG…, for US A2P 10DLC)"
SETUP_HINT_OPTIONAL = "(optional: clear the line to skip)"
SETUP_ASK_ALLOWED_USERS = "Who may text the agent?"
SETUP_HINT_ALLOWED_USERS = "(phone numbers in E.164, comma-separated)"
SETUP_ASK_NOBODY_LISTED = "Nobody is on the list. Who may text the agent?"
SETUP_CHOICE_DENY_ALL = "Nobody yet (deny all; add numbers later)"
SETUP_CHOICE_ALLOW_ALL = "Anyone who texts the number (SMS_ALLOW_ALL_USERS=true)"
SETUP_ASK_HOME_CHANNEL = "Home channel: the number `hermes-sms send` texts by default"
SETUP_ASK_PORT = "Port the gateway listens on"
SETUP_ASK_WEBHOOK_URL = "Public https URL of the gateway"
SETUP_ASK_POINT_WEBHOOK = "After saving, point it at {url} (HTTP POST)?"
SETUP_ASK_AGENT_URL = "Agent URL (OpenAI-compatible, usually ending in /v1)"
SETUP_ASK_AGENT_MODEL = "Agent model"
SETUP_ASK_AGENT_API_KEY = "Agent API key"
SETUP_ASK_TEST_AGENT = "Send a test request to {url}/models?"
SETUP_CONFIRM_WRITE = "Write these settings to {env_file}?"
# The wizard's validation sentences. questionary shows one line under the prompt and an
# 80-column terminal cuts the rest, fix included: each stays within 70 characters (a quoted
# {entry} is at most 16). The non-interactive run keeps the full sentences.
SETUP_BRIEF_NO_COUNTRY = "No country code: start with + and the code, e.g. +1 555 010 0002"
SETUP_BRIEF_NOT_A_NUMBER = "Not a phone number: type + and the digits, e.g. +1 555 010 0002"
SETUP_BRIEF_WRONG_DIGITS = "Wrong number of digits for its country code: check the number"
SETUP_BRIEF_ENTRY_NO_COUNTRY = "{entry} has no country code: start with + and the code"
SETUP_BRIEF_ENTRY_NOT_A_NUMBER = "{entry} is not a phone number: type + and the digits"
SETUP_BRIEF_ENTRY_WRONG_DIGITS = "{entry} has the wrong number of digits for its country"
SETUP_BRIEF_WEBHOOK_HTTPS = "Webhook URL must start with https:// (cloudflared or ngrok give one)"
SETUP_BRIEF_AGENT_URL = "Agent URL must be an http(s) URL, e.g. http://127.0.0.1:8642/v1"
SETUP_BRIEF_AGENT_URL_SPACE = "Agent URL must not contain spaces or control characters"
SETUP_BRIEF_AGENT_URL_PORT = "Agent URL: the port must be a number from 1 to 65535"
SETUP_BRIEF_AGENT_URL_QUERY = "Agent URL must not have a ?query or #fragment: paths follow it"

SETUP_CHECKING_TWILIO = "Checking the credentials with Twilio…"
SETUP_CREDENTIALS_OK = "Credentials work: account “{name}” ({type})."
SETUP_CREDENTIALS_REJECTED = (
    "Twilio rejected this Account SID and Auth Token (error 20003). Copy both again from "
    "the Account Info box on https://console.twilio.com."
)
# {error} names the address and what went wrong ("could not reach https://…: Connection refused").
SETUP_TWILIO_UNREACHABLE = "Could not check the credentials: {error}"
SETUP_TWILIO_FAILED = "Twilio could not check the credentials: {error}"
SETUP_USE_NO_VERIFY = "Pass --no-verify to save the values without checking them."
SETUP_TRIAL_NOTE = (
    "This is a trial account: it can only text numbers verified in the Twilio console, "
    "and Twilio adds a trial notice to every message."
)
SETUP_INACTIVE_NOTE = "The account is {status}: Twilio will not send messages until it is active."
SETUP_NO_SMS_NUMBERS = (
    "The account has no SMS-capable number yet: buy one in the Twilio console "
    "(Phone Numbers > Buy a number), then type it here."
)
SETUP_NUMBERS_UNLISTED = "Could not list the account's numbers ({error}); type the number."
SETUP_NUMBER_NOT_IN_ACCOUNT = (
    "{number} is not one of this account's SMS numbers: Twilio will refuse to send from it."
)
SETUP_NOT_VERIFIED = "Not checked with Twilio (--no-verify)."

SETUP_ALLOW_ALL_WARNING = (
    "Warning: anyone who texts {number} reaches your agent, and every reply is billed to "
    "your Twilio account."
)
SETUP_PORT_BUSY = (
    "Warning: port {port} is in use right now (by a running gateway, or another program); "
    "the gateway cannot start on it while that lasts."
)
SETUP_PORT_FORBIDDEN = (
    "Warning: port {port} needs administrator rights; choose a port from 1024 up, such as 8080."
)
SETUP_TUNNEL_HINT = (
    "Twilio must reach the gateway over https. On your own machine, start a tunnel in "
    "another terminal and paste the https address it prints:\n"
    "  cloudflared tunnel --url http://localhost:{port}\n"
    "  ngrok http {port}"
)
SETUP_URL_COMPLETED = "Using {url} (the gateway receives messages at {path})."
SETUP_WEBHOOK_CURRENT = "Now, messages to {number} go to: {current}"
SETUP_WEBHOOK_UNSET = "(nothing set)"
SETUP_WEBHOOK_USE_FLAG = "Pass --configure-webhook to point it at {url}."
SETUP_WEBHOOK_ALREADY = "The number's webhook already points at {url}."
SETUP_WEBHOOK_MANUAL = (
    "Set the webhook in the Twilio console: Phone Numbers > Active numbers > {number} > "
    "Messaging configuration > “A message comes in”: Webhook, {url}, HTTP POST."
)
SETUP_UPDATING_WEBHOOK = "Pointing the webhook of {number} at the gateway…"
SETUP_WEBHOOK_DONE = "Twilio now sends messages to {number} to {url} (POST)."
SETUP_WEBHOOK_FAILED = "Could not update the webhook of {number}: {error}"
SETUP_WEBHOOK_NOT_FOUND = "{number} is not a number of this Twilio account; webhook not changed."
SETUP_WEBHOOK_NEEDS_URL = "--configure-webhook needs the public URL: pass --webhook-url."
SETUP_WEBHOOK_INTERRUPTED = "Webhook update interrupted; the settings were saved."
SETUP_WEBHOOK_SAVED_ANYWAY = "The settings were saved; fix the problem and run setup again."
# {reason} is doctor's ("SMS_WEBHOOK_URL … cannot be reached by Twilio: … is a local name").
SETUP_WEBHOOK_REFUSED = (
    "--configure-webhook refused: {reason}, and pointing the number there would stop its "
    "messages. Pass --webhook-url the public https URL of your tunnel or server."
)
SETUP_WEBHOOK_LEFT_ALONE = (
    "The number's webhook is left as it is: {reason}, and pointing the number there would "
    "stop its messages. Give the public https URL of your tunnel or server to have it set."
)

SETUP_CHECKING_AGENT = "Asking the agent for its models…"
SETUP_AGENT_OK = "Agent: {message}"
SETUP_AGENT_PROBLEM = (
    "Warning: the agent did not answer the check: {message}. If it is not running yet, "
    "start it before the gateway: the gateway needs it to answer messages."
)

SETUP_SUMMARY_TITLE = "Settings for {env_file}"
SETUP_SAVED = "Saved {env_file} (mode 0600)."
SETUP_WRITE_FAILED = "Could not write {env_file}: {error}. The file was not changed."
# The {error} of SETUP_WRITE_FAILED when permissions are in the way.
ENV_WRITE_NOT_YOURS = "{path} belongs to {owner}, not to you, so you cannot change it"
ENV_WRITE_FOLDER = "you cannot write in the folder {folder} (mode {mode:04o})"
SETUP_BACKUP = "The previous version is in {backup}."
SETUP_UNCHANGED = "Nothing changed: {env_file} stays as it was."
SETUP_TIGHTENED = "Tightened {path} from {old:04o} to {new:04o}: it holds your auth token."
SETUP_ENV_OVERRIDES = (
    "Note: {name} is also set in this shell's environment, which wins over the file. "
    "Unset it to use the saved value."
)
SETUP_FROM_ENVIRONMENT = (
    "Note: {name} is set in this shell's environment, so the value offered next comes from "
    "there; the environment also wins over the file until you unset it."
)
SETUP_NEXT = "Next: start the gateway with `hermes-sms gateway`."


def setup_problems(header: str, lines: list[str]) -> str:
    """A header and one indented line per problem, like `config_problems`."""
    return header + "".join(f"\n  - {line}" for line in lines)
