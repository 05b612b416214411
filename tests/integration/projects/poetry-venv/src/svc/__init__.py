import idna
import six


def main():
    print(six.ensure_str(idna.encode("example.com")))
