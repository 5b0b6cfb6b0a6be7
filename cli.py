"""`python cli.py …` from a checkout: the same command line as the installed `xlsxkit`."""

from xlsxkit.cli import main

if __name__ == "__main__":
    main()
