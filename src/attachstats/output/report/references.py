"""The works the manuscript cites: in-text citations and an APA 7 reference list.

Methods are cited from :data:`WORKS` (key → in-text form, reference entry); instruments from
their instrument file's ``source`` (:func:`instrument_work`). A :class:`Citations` object
records what the text actually cites, so the reference list holds those works and no
others, sorted by first author as APA 7 asks.

Example
-------
>>> c = Citations()
>>> c.cite("hu_bentler_1999"), c.cite("horn_1965", "aiken_west_1991")
('(Hu & Bentler, 1999)', '(Aiken & West, 1991; Horn, 1965)')
>>> [r.split(" (")[0] for r in c.reference_list()]
['Aiken, L. S., & West, S. G.', 'Horn, J. L.', 'Hu, L., & Bentler, P. M.']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["WORKS", "Citations", "instrument_work", "in_text"]

#: Method works: key → (in-text author-year without parentheses, APA 7 reference entry).
WORKS: dict[str, tuple[str, str]] = {
    "aiken_west_1991": ("Aiken & West, 1991", "Aiken, L. S., & West, S. G. (1991). *Multiple regression: Testing and "
                        "interpreting interactions*. Sage."),
    "barnard_rubin_1999": ("Barnard & Rubin, 1999", "Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of "
                           "freedom with multiple imputation. *Biometrika, 86*(4), 948–955. "
                           "https://doi.org/10.1093/biomet/86.4.948"),
    "bartlett_1950": ("Bartlett, 1950", "Bartlett, M. S. (1950). Tests of significance in factor analysis. *British "
                      "Journal of Statistical Psychology, 3*(2), 77–85. "
                      "https://doi.org/10.1111/j.2044-8317.1950.tb00285.x"),
    "benjamini_hochberg_1995": ("Benjamini & Hochberg, 1995", "Benjamini, Y., & Hochberg, Y. (1995). Controlling the "
                                "false discovery rate: A practical and powerful approach to multiple testing. *Journal "
                                "of the Royal Statistical Society: Series B (Methodological), 57*(1), 289–300. "
                                "https://doi.org/10.1111/j.2517-6161.1995.tb02031.x"),
    "chen_2007": ("Chen, 2007", "Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement "
                  "invariance. *Structural Equation Modeling, 14*(3), 464–504. "
                  "https://doi.org/10.1080/10705510701301834"),
    "cronbach_1951": ("Cronbach, 1951", "Cronbach, L. J. (1951). Coefficient alpha and the internal structure of "
                      "tests. *Psychometrika, 16*(3), 297–334. https://doi.org/10.1007/BF02310555"),
    "curran_2016": ("Curran, 2016", "Curran, P. G. (2016). Methods for the detection of carelessly invalid responses "
                    "in survey data. *Journal of Experimental Social Psychology, 66*, 4–19. "
                    "https://doi.org/10.1016/j.jesp.2015.07.006"),
    "dunn_2018": ("Dunn et al., 2018", "Dunn, A. M., Heggestad, E. D., Shanock, L. R., & Theilgard, N. (2018). "
                  "Intra-individual response variability as an indicator of insufficient effort responding: "
                  "Comparison to other indicators and relationships with individual differences. *Journal of "
                  "Business and Psychology, 33*(1), 105–121. https://doi.org/10.1007/s10869-016-9479-0"),
    "efron_tibshirani_1993": ("Efron & Tibshirani, 1993", "Efron, B., & Tibshirani, R. J. (1993). *An introduction "
                              "to the bootstrap*. Chapman & Hall."),
    "feldt_1987": ("Feldt et al., 1987", "Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference "
                   "for coefficient alpha. *Applied Psychological Measurement, 11*(1), 93–103. "
                   "https://doi.org/10.1177/014662168701100107"),
    "fraley_waller_1998": ("Fraley & Waller, 1998", "Fraley, R. C., & Waller, N. G. (1998). Adult attachment "
                           "patterns: A test of the typological model. In J. A. Simpson & W. S. Rholes (Eds.), "
                           "*Attachment theory and close relationships* (pp. 77–114). Guilford Press."),
    "fraley_2015": ("Fraley et al., 2015", "Fraley, R. C., Hudson, N. W., Heffernan, M. E., & Segal, N. (2015). Are "
                    "adult attachment styles categorical or dimensional? A taxometric analysis of general and "
                    "relationship-specific attachment orientations. *Journal of Personality and Social Psychology, "
                    "109*(2), 354–368. https://doi.org/10.1037/pspp0000027"),
    "flora_curran_2004": ("Flora & Curran, 2004", "Flora, D. B., & Curran, P. J. (2004). An empirical evaluation of "
                          "alternative methods of estimation for confirmatory factor analysis with ordinal data. "
                          "*Psychological Methods, 9*(4), 466–491. https://doi.org/10.1037/1082-989X.9.4.466"),
    "horn_1965": ("Horn, 1965", "Horn, J. L. (1965). A rationale and test for the number of factors in factor "
                  "analysis. *Psychometrika, 30*(2), 179–185. https://doi.org/10.1007/BF02289447"),
    "hu_bentler_1999": ("Hu & Bentler, 1999", "Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in "
                        "covariance structure analysis: Conventional criteria versus new alternatives. *Structural "
                        "Equation Modeling, 6*(1), 1–55. https://doi.org/10.1080/10705519909540118"),
    "huang_2012": ("Huang et al., 2012", "Huang, J. L., Curran, P. G., Keeney, J., Poposki, E. M., & DeShon, R. P. "
                   "(2012). Detecting and deterring insufficient effort responding to surveys. *Journal of Business "
                   "and Psychology, 27*(1), 99–114. https://doi.org/10.1007/s10869-011-9231-8"),
    "johnson_2005": ("Johnson, 2005", "Johnson, J. A. (2005). Ascertaining the validity of individual protocols from "
                     "Web-based personality inventories. *Journal of Research in Personality, 39*(1), 103–129. "
                     "https://doi.org/10.1016/j.jrp.2004.09.009"),
    "johnson_neyman_1936": ("Johnson & Neyman, 1936", "Johnson, P. O., & Neyman, J. (1936). Tests of certain linear "
                            "hypotheses and their application to some educational problems. *Statistical Research "
                            "Memoirs, 1*, 57–93."),
    "kaiser_1974": ("Kaiser, 1974", "Kaiser, H. F. (1974). An index of factorial simplicity. *Psychometrika, 39*(1), "
                    "31–36. https://doi.org/10.1007/BF02291575"),
    "long_ervin_2000": ("Long & Ervin, 2000", "Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity "
                        "consistent standard errors in the linear regression model. *The American Statistician, "
                        "54*(3), 217–224. https://doi.org/10.1080/00031305.2000.10474549"),
    "lorenzo_seva_2006": ("Lorenzo-Seva & ten Berge, 2006", "Lorenzo-Seva, U., & ten Berge, J. M. F. (2006). "
                          "Tucker's congruence coefficient as a meaningful index of factor similarity. *Methodology, "
                          "2*(2), 57–64. https://doi.org/10.1027/1614-2241.2.2.57"),
    "mahalanobis_1936": ("Mahalanobis, 1936", "Mahalanobis, P. C. (1936). On the generalised distance in statistics. "
                         "*Proceedings of the National Institute of Sciences of India, 2*(1), 49–55."),
    "muthen_1997": ("Muthén et al., 1997", "Muthén, B., du Toit, S. H. C., & Spisic, D. (1997). *Robust inference "
                    "using weighted least squares and quadratic estimating equations in latent variable modeling with "
                    "categorical and continuous outcomes* [Unpublished technical report]."),
    "mcdonald_1999": ("McDonald, 1999", "McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum."),
    "meade_craig_2012": ("Meade & Craig, 2012", "Meade, A. W., & Craig, S. B. (2012). Identifying careless responses "
                         "in survey data. *Psychological Methods, 17*(3), 437–455. https://doi.org/10.1037/a0028085"),
    "preacher_hayes_2008": ("Preacher & Hayes, 2008", "Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and "
                            "resampling strategies for assessing and comparing indirect effects in multiple mediator "
                            "models. *Behavior Research Methods, 40*(3), 879–891. https://doi.org/10.3758/BRM.40.3.879"),
    "rubin_1987": ("Rubin, 1987", "Rubin, D. B. (1987). *Multiple imputation for nonresponse in surveys*. Wiley."),
    "satorra_bentler_2001": ("Satorra & Bentler, 2001", "Satorra, A., & Bentler, P. M. (2001). A scaled difference "
                             "chi-square test statistic for moment structure analysis. *Psychometrika, 66*(4), "
                             "507–514. https://doi.org/10.1007/BF02296192"),
    "van_buuren_2011": ("van Buuren & Groothuis-Oudshoorn, 2011", "van Buuren, S., & Groothuis-Oudshoorn, K. (2011). "
                        "mice: Multivariate imputation by chained equations in R. *Journal of Statistical Software, "
                        "45*(3), 1–67. https://doi.org/10.18637/jss.v045.i03"),
    "venables_ripley_2002": ("Venables & Ripley, 2002", "Venables, W. N., & Ripley, B. D. (2002). *Modern applied "
                             "statistics with S* (4th ed.). Springer."),
    "wu_estabrook_2016": ("Wu & Estabrook, 2016", "Wu, H., & Estabrook, R. (2016). Identification of confirmatory "
                          "factor analysis models of different levels of invariance for ordered categorical outcomes. "
                          "*Psychometrika, 81*(4), 1014–1045. https://doi.org/10.1007/s11336-016-9506-0"),
    "yuan_bentler_2000": ("Yuan & Bentler, 2000", "Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based "
                          "methods for mean and covariance structure analysis with nonnormal missing data. "
                          "*Sociological Methodology, 30*(1), 165–200. https://doi.org/10.1111/0081-1750.00078"),
}

_AUTHOR_YEAR = re.compile(r"^(?P<authors>.+?) \((?P<year>\d{4}[a-z]?)\)\. ")
_CHAPTER_END = re.compile(r"\(pp\. \d+-\d+\)\. [^.]+\.")
_JOURNAL_END = re.compile(r"\d+(?:\(\d+\))?, \d+-\d+\.")
_SURNAME = re.compile(r"(?:^|, (?:& )?|& )([^,&]+?), (?:[A-Z][a-z]?\.(?:[ -]?[A-Z]\.)*)")


def in_text(authors: str, year: str) -> str:
    """APA 7 in-text form of an author list: one or two surnames, else the first ``et al.``.

    >>> in_text("Kroenke, K., Spitzer, R. L., & Williams, J. B. W.", "2001")
    'Kroenke et al., 2001'
    >>> in_text("Hu, L., & Bentler, P. M.", "1999")
    'Hu & Bentler, 1999'
    """
    names = [s.strip() for s in _SURNAME.findall(authors)]
    if not names:
        return f"{authors.rstrip('.')}, {year}"
    if len(names) == 1:
        return f"{names[0]}, {year}"
    if len(names) == 2:
        return f"{names[0]} & {names[1]}, {year}"
    return f"{names[0]} et al., {year}"


def instrument_work(source: str) -> tuple[str, str] | None:
    """(in-text form, reference entry) from an instrument file's ``source``, which starts with
    an APA reference and may go on with notes; None when it does not start with one.

    >>> instrument_work("Houck, P. R., & Rucci, P. (2002). Reliability of the PDSS. Depression "
    ...                 "and Anxiety, 15(4), 183-185. Items 0-4 summed.")
    ('Houck & Rucci, 2002', 'Houck, P. R., & Rucci, P. (2002). Reliability of the PDSS. Depression and Anxiety, 15(4), 183–185.')
    """
    text = " ".join(str(source).split())
    m = _AUTHOR_YEAR.match(text)
    if not m:
        return None
    end = _CHAPTER_END.search(text) or _JOURNAL_END.search(text)
    entry = text[:end.end()] if end else text
    entry = re.sub(r"(\d+)-(\d+)", r"\1–\2", entry)
    return in_text(m.group("authors"), m.group("year")), entry


@dataclass
class Citations:
    """The works cited so far: ``cite`` returns the parenthetical citation and records it."""

    works: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(WORKS))
    cited: list[str] = field(default_factory=list)

    def add(self, key: str, work: tuple[str, str]) -> None:
        """Make a work (e.g. an instrument's source) citable under ``key``."""
        self.works[key] = work

    def names(self, *keys: str) -> str:
        """The citations without parentheses, ``Horn, 1965; Hu & Bentler, 1999`` (recorded)."""
        for k in keys:
            if k not in self.works:
                raise KeyError(f"no reference for citation key {k!r}")
            if k not in self.cited:
                self.cited.append(k)
        return "; ".join(sorted(self.works[k][0] for k in dict.fromkeys(keys)))

    def cite(self, *keys: str) -> str:
        """``(Hu & Bentler, 1999)``; several works in one pair of parentheses, alphabetically."""
        return f"({self.names(*keys)})"

    def narrative(self, key: str) -> str:
        """``Hu and Bentler (1999)``: the citation as part of the sentence."""
        who, year = self.names(key).rsplit(", ", 1)
        return f"{who.replace(' & ', ' and ')} ({year})"

    def reference_list(self) -> list[str]:
        """The reference entries of the cited works, alphabetically (APA 7 order)."""
        return sorted((self.works[k][1] for k in self.cited), key=lambda e: e.lower().lstrip("*"))
