import six
from packaging.version import Version

print(six.ensure_str(str(Version("1.0"))))
