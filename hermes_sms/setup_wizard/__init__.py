"""The core of `hermes-sms setup`: which values it manages, how they are checked, resolved
from flags, the environment and the existing file, verified live, and written to
`$HERMES_HOME/.env`.

No prompting or rendering here: the CLI (`hermes_sms.cli.setup`) asks and shows, this package
decides. Import the submodules directly; this one stays empty so importing it costs nothing.
"""
