import numpy
import requests
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return {"sum": int(numpy.arange(10).sum()), "requests": requests.__version__}


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8000)
