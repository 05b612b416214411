FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt extra[1].txt ./
RUN pip install -r requirements.txt
COPY . .
