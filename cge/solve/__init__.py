"""Numerical machinery of the GTAP v7 model (:mod:`cge.gtap.simulate`): the vectorised
sparse-derivative tape (:mod:`cge.solve.tape`), Newton-Krylov (:mod:`cge.solve.newton`) and its
sparse linear algebra (:mod:`cge.solve.linalg`)."""
