FROM python:3.11-slim
RUN python -m venv /opt/venv
RUN sleep 0
COPY requirements.txt /usr/local/bin/
RUN /opt/venv/bin/pip install -r /usr/local/bin/requirements.txt
COPY . /usr/local/bin/
