FROM python:3.11-slim
WORKDIR /app/src
COPY src/requirements.txt .
RUN pip install -r requirements.txt
COPY . /app
