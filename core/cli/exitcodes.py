"""Exit codes that scripts can rely on (documented in the README)."""

OK = 0  # everything asked for was done
FAILED = 1  # the command ran, but something was not delivered or a check failed
USAGE = 2  # bad command line or invalid configuration: nothing was started
UNAVAILABLE = 3  # a needed service (Canopsis, a port, the state directory) could not be reached
INTERRUPTED = 130  # stopped by Ctrl-C before finishing
