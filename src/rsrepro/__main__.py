import sys

from rsrepro.cli import main

sys.exit(main())
