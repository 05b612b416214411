# syntax=docker/dockerfile:1
FROM a
RUN <<-EOT bash
	echo hi
	EOT
COPY --chown=1:1 --chmod=644 ["a b", "/x/"]
RUN echo \
  end