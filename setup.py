"""Compile the gettext catalogues as part of every install (plain or editable); a plain install (a wheel) also
carries the templates, which live beside the package in the source tree."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogues(build_py):
    def run(self):
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in Path(__file__).parent.glob("coop/translations/*/LC_MESSAGES/*.po"):
            with po_path.open("rb") as po_file:
                catalogue = read_po(po_file)
            with po_path.with_suffix(".mo").open("wb") as mo_file:
                write_mo(mo_file, catalogue)
        super().run()
        if not getattr(self, "editable_mode", False):  # an editable install reads them from the source tree
            templates = Path(__file__).parent / "templates"
            shutil.copytree(templates, Path(self.build_lib) / "coop" / "templates", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithCatalogues})
