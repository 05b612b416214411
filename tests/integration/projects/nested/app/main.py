import click
import itsdangerous


@click.command()
def main():
    click.echo(itsdangerous.URLSafeSerializer("k").dumps({"ok": True}))


if __name__ == "__main__":
    main()
