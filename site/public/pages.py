"""The short pages every link of the foundation leads to.

Later issues replace these with full Markdown pages in content/pages/<locale>/; the slugs stay.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Page:
    title: object
    paragraphs: tuple = ()
    shows_helplines: bool = True
    respect_phoneline: bool = False
    related: tuple = field(default=())


PAGES = {
    "help-for-myself": Page(
        title=_l("Get help for yourself"),
        paragraphs=(
            _l("Our domestic abuse team gives a confidential and sensitive service. We can talk "
               "by phone, by email or face to face, as you prefer and as is safe for you."),
            _l("We can give you advice and put you in touch with specialist support, such as an "
               "independent domestic violence adviser (IDVA). We can help make your home safer. "
               "If the risk of serious harm is high, we can consider moving you to another home."),
            _l("What you tell us stays confidential, with two limits. We must report concerns "
               "about a child's safety. We may tell the police about serious crime or a serious "
               "risk of harm."),
            _l("A short online form to ask us for help is coming soon. Until then, contact our "
               "domestic abuse team or the National Domestic Abuse Helpline."),
        ),
    ),
    "worried-about-someone": Page(
        title=_l("Worried about someone else"),
        paragraphs=(
            _l("If you think someone you know is being abused, you can talk to us or to the "
               "National Domestic Abuse Helpline for advice."),
            _l("Listen to them and believe them. Let them decide what to do next. Do not "
               "confront the person you think is causing harm: it could put them in more danger."),
            _l("If someone is in danger now, call 999."),
        ),
    ),
    "worried-about-my-behaviour": Page(
        title=_l("Worried about your own behaviour"),
        paragraphs=(
            _l("If you are worried that you hurt or frighten someone close to you, you can get "
               "help to change. Asking for help is a strong first step."),
            _l("The Respect Phoneline gives confidential advice to people who are worried about "
               "their own behaviour towards a partner or family member."),
        ),
        shows_helplines=False,
        respect_phoneline=True,
    ),
    "cover-your-tracks": Page(
        title=_l("Cover your tracks online"),
        paragraphs=(
            _l("The Exit this page button takes you away from this site at once. It does not "
               "delete your browsing history."),
            _l("To hide a visit, delete this site from your browser's history. Or use private "
               "browsing (also called incognito), which does not keep a history."),
            _l("If someone else uses your phone, tablet or computer, or knows your passwords, "
               "they may see what you look at. If you can, use a device they cannot reach, such "
               "as one at a library or at a friend's home."),
        ),
    ),
    "accessibility": Page(
        title=_l("Accessibility statement"),
        paragraphs=(
            _l("We want everyone to be able to use this site. It is built to meet the Web Content "
               "Accessibility Guidelines (WCAG) 2.2 at level AA."),
            _l("You can use it with a keyboard or a screen reader, on a small screen, and zoomed "
               "in to 200%. Arabic and Urdu pages read from right to left."),
            _l("If you find something you cannot use, contact our domestic abuse team and we will "
               "help you in another way."),
        ),
    ),
    "privacy": Page(
        title=_l("Privacy notice"),
        paragraphs=(
            _l("This site sets no cookies while you read it. It loads nothing from any other "
               "website, and it does not use analytics."),
            _l("Your browser is told not to keep copies of these pages. They still appear in its "
               "history unless you delete them."),
            _l("Before the online help form opens, this notice will explain what it collects, "
               "why, who can read it, how long we keep it and what your rights are."),
        ),
    ),
}
