"""The test suite as a package, so that its helpers have one module name (tests.helpers, tests.returns …)."""
