# escape=`
FROM busybox
RUN echo one `
    two
COPY C:\path\file /dst
