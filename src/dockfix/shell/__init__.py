"""Reading the shell script of a RUN instruction: its simple commands and the installers they run.

``split_commands`` reads POSIX sh (plus the bash syntax common in Dockerfiles) far enough to list
every simple command with its words, the operators around it and whether it is part of anything
more than a plain command. ``parse_invocation`` then says which tool a command runs (pip, uv,
poetry, conda, apt-get, rm, ...) and sorts its words into subcommand, options and arguments.

Every word keeps its offsets: ``script[word.start:word.end] == word.raw``, so a caller can delete a
word from the original text. When the script cannot be read reliably the answer is None, never a
guess: unbalanced quotes, unterminated ``$(``/``${``/backticks/here-documents, misplaced reserved
words or operators, and a few constructs this reader does not follow (backslashes inside
backticks, quotes or substitutions inside ``$(( ))``, process substitution, ``|&``, arrays).

Known limits, all on the conservative side:

- Commands inside ``$( )`` and backticks are listed too (``compound=True``), right after the command
  that contains them: the list is in text order. ``op_before``/``op_after`` link commands of the same
  list only, so the first command inside a substitution has ``op_before=None``.
- The reserved words of compound commands (``if``, ``then``, ``do``, ``{``, ``!`` ...), ``for``/``case``
  headers and function names belong to no command. ``[[ ... ]]`` is one compound command whose words
  are all its tokens.
- ``has_expansion`` errs towards True: unquoted ``{...}`` (brace expansion in bash, ``find -exec {}``)
  and a ``~`` at the start of a word or after ``=``/``:`` count, ``$'...'`` and ``$"..."`` count (their
  ``value`` is the raw text).
- ``&>``/``&>>`` mean a redirection in bash but "run in the background, then redirect" in sh: the
  command is marked compound.
- Wrappers are not unwrapped: ``sudo pip install``, ``env X=1 pip install``, ``time pip ...`` and
  ``xargs pip ...`` are tool ``'other'``. So are ``python -m piptools``, ``uvx`` and ``$PIP install``.
  A program whose directory comes from a variable (``$VENV/bin/pip``) is recognised by its name.
- Options are read with a table per tool. An option the table does not know is still listed in
  ``options`` (with the value after ``=`` if any) and also in ``Invocation.unknown``: its arity is
  unknown, so the arguments after it may be misread. pip's unambiguous abbreviations of long options
  (``--no-cache`` for ``--no-cache-dir``) are resolved as pip resolves them.
"""
