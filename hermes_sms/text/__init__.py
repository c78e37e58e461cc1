"""hermes_sms.text: turn a model reply into SMS bodies (markdown, encoding, segments, split)."""

from hermes_sms.text.gsm import is_gsm7, septet_count, smart_replace
from hermes_sms.text.markdown import markdown_to_text
from hermes_sms.text.plan import SmsPart, SmsPlan, plan_sms
from hermes_sms.text.segments import Encoding, SegmentInfo, segment_info, utf16_len
from hermes_sms.text.split import split_text, strip_marker

__all__ = [
    "Encoding",
    "SegmentInfo",
    "SmsPart",
    "SmsPlan",
    "is_gsm7",
    "markdown_to_text",
    "plan_sms",
    "segment_info",
    "septet_count",
    "smart_replace",
    "split_text",
    "strip_marker",
    "utf16_len",
]
