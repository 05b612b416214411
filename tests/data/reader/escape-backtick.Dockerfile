# escape=`
FROM mcr.microsoft.com/windows/servercore
RUN dir c:\ `
    && echo hi
COPY a.txt c:\app\
