FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN /usr/local/bin/pip install -r requirements.txt
COPY . .
RUN echo "iniconfig" >> requirements.txt
