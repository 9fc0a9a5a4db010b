"""python3 -m campaign (with tools/campaign on sys.path): see cli.py."""
import sys

from campaign.cli import main

sys.exit(main())
