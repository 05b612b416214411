FROM python:3.11-slim
RUN python -m venv /opt/venv && echo 1 > /tmp/stamp
WORKDIR /app
RUN echo 2 > /tmp/stamp
COPY requirements.txt .
RUN /opt/venv/bin/pip install -r requirements.txt
COPY . .
RUN cat /tmp/stamp >> app.py
