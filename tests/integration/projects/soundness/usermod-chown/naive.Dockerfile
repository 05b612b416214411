FROM python:3.11-slim
RUN useradd -u 1000 app
WORKDIR /app
RUN usermod -u 2000 app
COPY --chown=app:app requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=app:app . .
