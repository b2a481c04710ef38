"""The yardstick: a one-route Flask app doing as little as Flask can."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "ok"
