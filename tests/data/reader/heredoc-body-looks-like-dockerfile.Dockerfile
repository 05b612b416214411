FROM python:3.11
RUN <<EOF
echo "# not a comment"
FROM inside body \

EOF
RUN echo done
