FROM a
RUN aéb \
ÿ
RUN â€¨ xyz
