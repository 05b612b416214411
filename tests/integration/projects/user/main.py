import attrs
import six


@attrs.define
class Greeting:
    text: str


print(Greeting(six.ensure_str("hello")))
