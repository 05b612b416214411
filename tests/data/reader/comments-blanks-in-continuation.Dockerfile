FROM a
RUN echo a \
# comment inside

    b \
   
    c
RUN x\\
RUN y
