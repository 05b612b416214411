import click
from packaging.version import Version


@click.command()
def main():
    click.echo(f"greet {Version('0.1.0')}")
