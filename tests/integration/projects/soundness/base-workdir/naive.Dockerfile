FROM python:3.11-slim
RUN chmod 0750 /entrypoint.sh
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
ENTRYPOINT ["/entrypoint.sh"]
