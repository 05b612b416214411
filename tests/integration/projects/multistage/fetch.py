import sys

import requests

print(requests.get(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3141/stats", timeout=5).status_code)
