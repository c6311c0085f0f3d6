"""Command line entry point (skeleton)."""


def main(argv=None) -> int:
    return 0
