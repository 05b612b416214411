"""``Refuse``: a check that cannot show a change safe, with the reason and the line.

Raised by the installers' readers (manifests, configuration files) and by the move checks of
``rules``/``reorder``, and reported as a Skip.
"""


class Refuse(Exception):
    def __init__(self, reason: str, lineno: int):
        super().__init__(reason)
        self.reason = reason
        self.lineno = lineno
