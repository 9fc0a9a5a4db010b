"""conftest.py - the campaign tool's unit tests import it from tools/campaign."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "campaign"))
