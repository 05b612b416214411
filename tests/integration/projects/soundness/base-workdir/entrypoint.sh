#!/bin/sh
exec python -c 'print(1)'
