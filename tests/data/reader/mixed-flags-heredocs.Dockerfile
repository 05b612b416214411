FROM a AS b
onbuild run echo x
Run --mount=type=cache,target=/c "--x" echo
COPY <<A <<"B" /dst/
a
A
b $x
B
HEALTHCHECK --interval=5s CMD ["true"]
ENV A=1 \
    B="2 3"
RUN 3<<EOF cat <&3
x
EOF
