# A base image shaped like Red Hat's UBI/s2i Python images: a virtualenv in /opt/app-root owned by
# uid 1001 (group 0), HOME=/opt/app-root/src, USER 1001. dockfix does not know this image.
FROM python:3.11-slim
RUN useradd -u 1001 -g 0 -M -d /opt/app-root/src default \
    && python -m venv /opt/app-root && mkdir -p /opt/app-root/src && chown -R 1001:0 /opt/app-root
ENV HOME=/opt/app-root/src PATH=/opt/app-root/bin:$PATH
WORKDIR /opt/app-root/src
USER 1001
