"""The demo network: 6 national offices, 5 sub-offices and 32 people.

Facts from the domain brief: in 2019 the network had 30 certified experts in 6 offices
and 5 sub-offices; the Spanish office has people in Madrid, Barcelona, Málaga and Bilbao;
offices work in French, English and Spanish.
"""

DEMO_PASSWORD = "tsg-demo-2026"  # noqa: S105 - printed by `make run`, demo data only

# (key, name, parent key, country, city, languages, currency, time zone)
OFFICES = [
    ("fr", "TSG France", None, "FR", "Paris", "fr,en", "EUR", "Europe/Paris"),
    ("fr-lyon", "TSG France – Lyon", "fr", "FR", "Lyon", "fr", "EUR", "Europe/Paris"),
    ("fr-toulouse", "TSG France – Toulouse", "fr", "FR", "Toulouse", "fr", "EUR", "Europe/Paris"),
    ("be", "TSG Belgique", None, "BE", "Bruxelles", "fr,nl,en", "EUR", "Europe/Brussels"),
    ("ca", "TSG Canada", None, "CA", "Montréal", "fr,en", "CAD", "America/Toronto"),
    ("uk", "TSG United Kingdom", None, "GB", "London", "en", "GBP", "Europe/London"),
    ("nl", "TSG Nederland", None, "NL", "Rotterdam", "nl,en", "EUR", "Europe/Amsterdam"),
    ("es", "TSG España", None, "ES", "Madrid", "es,en", "EUR", "Europe/Madrid"),
    ("es-bcn", "TSG España – Barcelona", "es", "ES", "Barcelona", "es", "EUR", "Europe/Madrid"),
    ("es-mlg", "TSG España – Málaga", "es", "ES", "Málaga", "es", "EUR", "Europe/Madrid"),
    ("es-bio", "TSG España – Bilbao", "es", "ES", "Bilbao", "es", "EUR", "Europe/Madrid"),
]

# (email, first, last, office key, language, roles) — roles: c consultant, s secretary,
# l office lead, a network admin.
PEOPLE = [
    ("admin@tsg.example", "Anne", "Rousseau", "fr", "en", "a"),
    ("camille.martin@tsg.example", "Camille", "Martin", "fr", "fr", "c"),
    ("julien.bernard@tsg.example", "Julien", "Bernard", "fr", "fr", "cl"),
    ("sophie.dubois@tsg.example", "Sophie", "Dubois", "fr", "fr", "cs"),
    ("nicolas.petit@tsg.example", "Nicolas", "Petit", "fr", "fr", "c"),
    ("claire.moreau@tsg.example", "Claire", "Moreau", "fr-lyon", "fr", "cl"),
    ("thomas.laurent@tsg.example", "Thomas", "Laurent", "fr-lyon", "fr", "c"),
    ("emilie.simon@tsg.example", "Émilie", "Simon", "fr-toulouse", "fr", "cs"),
    ("marc.lefebvre@tsg.example", "Marc", "Lefebvre", "fr-toulouse", "fr", "c"),
    ("isabelle.peeters@tsg.example", "Isabelle", "Peeters", "be", "fr", "cl"),
    ("pieter.janssens@tsg.example", "Pieter", "Janssens", "be", "en", "cs"),
    ("helene.dupont@tsg.example", "Hélène", "Dupont", "be", "fr", "c"),
    ("genevieve.tremblay@tsg.example", "Geneviève", "Tremblay", "ca", "fr", "cl"),
    ("olivier.gagnon@tsg.example", "Olivier", "Gagnon", "ca", "fr", "c"),
    ("sarah.roy@tsg.example", "Sarah", "Roy", "ca", "en", "cs"),
    ("james.wright@tsg.example", "James", "Wright", "uk", "en", "cl"),
    ("emma.taylor@tsg.example", "Emma", "Taylor", "uk", "en", "cs"),
    ("oliver.brown@tsg.example", "Oliver", "Brown", "uk", "en", "c"),
    ("annewies.devries@tsg.example", "Annewies", "de Vries", "nl", "en", "cl"),
    ("joost.bakker@tsg.example", "Joost", "Bakker", "nl", "en", "cs"),
    ("femke.visser@tsg.example", "Femke", "Visser", "nl", "en", "c"),
    ("lucia.garcia@tsg.example", "Lucía", "García", "es", "es", "cl"),
    ("javier.martinez@tsg.example", "Javier", "Martínez", "es", "es", "cs"),
    ("carmen.lopez@tsg.example", "Carmen", "López", "es", "es", "c"),
    ("jordi.puig@tsg.example", "Jordi", "Puig", "es-bcn", "es", "cl"),
    ("montse.ferrer@tsg.example", "Montse", "Ferrer", "es-bcn", "es", "c"),
    ("antonio.ruiz@tsg.example", "Antonio", "Ruiz", "es-mlg", "es", "cl"),
    ("rocio.moreno@tsg.example", "Rocío", "Moreno", "es-mlg", "es", "c"),
    ("itziar.etxeberria@tsg.example", "Itziar", "Etxeberria", "es-bio", "es", "cl"),
    ("mikel.agirre@tsg.example", "Mikel", "Agirre", "es-bio", "es", "c"),
    ("pierre.lambert@tsg.example", "Pierre", "Lambert", "fr", "fr", "c"),
    ("ines.navarro@tsg.example", "Inés", "Navarro", "es", "es", "c"),
]

# The logins `make run` prints, one per role.
DEMO_LOGINS = [
    ("consultant", "oliver.brown@tsg.example"),
    ("circle secretary", "emma.taylor@tsg.example"),
    ("office lead", "james.wright@tsg.example"),
    ("network admin", "admin@tsg.example"),
]

# --- The circle tree ------------------------------------------------------------------
# (key, name, kind, parent key, office key or None, aim, domain,
#  members (emails; "office:<key>" adds everyone of that office and its sub-offices),
#  leader, second links, facilitator, secretary)
# Leaders and second links are added to the next higher circle automatically, as the
# double link requires, except where a breach is deliberate.

NETWORK_CIRCLES = [
    ("top", "TSG Network – Top circle", "top", None, None,
     "Connect the network with its environment: capital, labour and the wider field of "
     "sociocracy.",
     "The franchise formula, the network's strategy and budget, the admission of offices.",
     ["admin@tsg.example", "annewies.devries@tsg.example", "julien.bernard@tsg.example"],
     None, [], "annewies.devries@tsg.example", "julien.bernard@tsg.example"),
    ("general", "TSG General circle", "integration", "top", None,
     "Connect the offices and the support circles; keep the network coherent.",
     "Shared products, know-how, the network's calendar and common tools.",
     ["admin@tsg.example", "annewies.devries@tsg.example"],
     "admin@tsg.example", ["annewies.devries@tsg.example"],
     "isabelle.peeters@tsg.example", "emma.taylor@tsg.example"),
    ("marketing", "Network marketing circle", "support", "general", None,
     "Make the network known: the newsletter, the web site, partners' sites.",
     "Brand, newsletter calendar, campaigns shared by the offices.",
     ["lucia.garcia@tsg.example", "camille.martin@tsg.example", "femke.visser@tsg.example",
      "montse.ferrer@tsg.example"],
     "lucia.garcia@tsg.example", ["camille.martin@tsg.example"],
     "femke.visser@tsg.example", "montse.ferrer@tsg.example"),
    ("experts", "Circle of certified experts", "experts", "general", None,
     "Guard the quality of the method: certify experts, develop the body of knowledge.",
     "Certification of experts, training standards, the exchange of practice.",
     ["genevieve.tremblay@tsg.example", "isabelle.peeters@tsg.example",
      "joost.bakker@tsg.example", "julien.bernard@tsg.example", "james.wright@tsg.example"],
     "genevieve.tremblay@tsg.example", ["isabelle.peeters@tsg.example"],
     "julien.bernard@tsg.example", "joost.bakker@tsg.example"),
]

# Per national office: its department circle under the General circle, with working
# circles and a support circle below it. (office key, department circle name, lead,
# second link, facilitator, secretary, working circles)
# A working circle: (suffix, kind, office key, members, leader, second link, facilitator,
# secretary). A None second link is a deliberate breach.
OFFICE_CIRCLES = [
    ("fr", "TSG France circle", "julien.bernard@tsg.example", "sophie.dubois@tsg.example",
     "nicolas.petit@tsg.example", "pierre.lambert@tsg.example", [
         ("Training", "department", "fr", ["camille.martin@tsg.example",
          "nicolas.petit@tsg.example", "sophie.dubois@tsg.example"],
          "camille.martin@tsg.example", "nicolas.petit@tsg.example", None,
          "sophie.dubois@tsg.example"),
         ("Lyon sub-office", "department", "fr-lyon", ["office:fr-lyon"],
          "claire.moreau@tsg.example", "thomas.laurent@tsg.example", None,
          "thomas.laurent@tsg.example"),
         ("Toulouse sub-office", "department", "fr-toulouse", ["office:fr-toulouse"],
          "emilie.simon@tsg.example", "marc.lefebvre@tsg.example", None,
          "emilie.simon@tsg.example"),
         ("Support", "support", "fr", ["pierre.lambert@tsg.example",
          "sophie.dubois@tsg.example", "julien.bernard@tsg.example"],
          "pierre.lambert@tsg.example", "sophie.dubois@tsg.example", None,
          "sophie.dubois@tsg.example"),
     ]),
    ("be", "TSG Belgique circle", "isabelle.peeters@tsg.example", "pieter.janssens@tsg.example",
     "helene.dupont@tsg.example", "pieter.janssens@tsg.example", [
         ("Training", "department", "be", ["office:be"], "helene.dupont@tsg.example",
          "pieter.janssens@tsg.example", None, "pieter.janssens@tsg.example"),
         ("Consulting", "department", "be", ["office:be"], "isabelle.peeters@tsg.example",
          "helene.dupont@tsg.example", None, "pieter.janssens@tsg.example"),
         ("Support", "support", "be", ["office:be"], "pieter.janssens@tsg.example",
          "helene.dupont@tsg.example", None, "helene.dupont@tsg.example"),
     ]),
    ("ca", "TSG Canada circle", "genevieve.tremblay@tsg.example", "sarah.roy@tsg.example",
     "olivier.gagnon@tsg.example", "sarah.roy@tsg.example", [
         ("Training", "department", "ca", ["office:ca"], "olivier.gagnon@tsg.example",
          "sarah.roy@tsg.example", None, "sarah.roy@tsg.example"),
         ("Consulting", "department", "ca", ["office:ca"], "genevieve.tremblay@tsg.example",
          "olivier.gagnon@tsg.example", None, "sarah.roy@tsg.example"),
         ("Support", "support", "ca", ["office:ca"], "sarah.roy@tsg.example",
          "olivier.gagnon@tsg.example", None, "olivier.gagnon@tsg.example"),
     ]),
    ("uk", "TSG United Kingdom circle", "james.wright@tsg.example", "emma.taylor@tsg.example",
     "oliver.brown@tsg.example", "emma.taylor@tsg.example", [
         # The deliberate breach: the Training circle has not elected its second link yet.
         ("Training", "department", "uk", ["office:uk"], "oliver.brown@tsg.example",
          None, "james.wright@tsg.example", "emma.taylor@tsg.example"),
         ("Consulting", "department", "uk", ["office:uk"], "james.wright@tsg.example",
          "oliver.brown@tsg.example", None, "emma.taylor@tsg.example"),
         ("Support", "support", "uk", ["office:uk"], "emma.taylor@tsg.example",
          "oliver.brown@tsg.example", None, "oliver.brown@tsg.example"),
     ]),
    ("nl", "TSG Nederland circle", "annewies.devries@tsg.example", "joost.bakker@tsg.example",
     "femke.visser@tsg.example", "joost.bakker@tsg.example", [
         ("Training", "department", "nl", ["office:nl"], "femke.visser@tsg.example",
          "joost.bakker@tsg.example", None, "joost.bakker@tsg.example"),
         ("Consulting", "department", "nl", ["office:nl"], "annewies.devries@tsg.example",
          "femke.visser@tsg.example", None, "joost.bakker@tsg.example"),
         ("Support", "support", "nl", ["office:nl"], "joost.bakker@tsg.example",
          "femke.visser@tsg.example", None, "femke.visser@tsg.example"),
     ]),
    ("es", "TSG España circle", "lucia.garcia@tsg.example", "javier.martinez@tsg.example",
     "carmen.lopez@tsg.example", "ines.navarro@tsg.example", [
         ("Training", "department", "es", ["carmen.lopez@tsg.example",
          "ines.navarro@tsg.example", "javier.martinez@tsg.example"],
          "carmen.lopez@tsg.example", "ines.navarro@tsg.example", None,
          "javier.martinez@tsg.example"),
         ("Barcelona sub-office", "department", "es-bcn", ["office:es-bcn"],
          "jordi.puig@tsg.example", "montse.ferrer@tsg.example", None,
          "montse.ferrer@tsg.example"),
         ("Málaga sub-office", "department", "es-mlg", ["office:es-mlg"],
          "antonio.ruiz@tsg.example", "rocio.moreno@tsg.example", None,
          "rocio.moreno@tsg.example"),
         ("Bilbao sub-office", "department", "es-bio", ["office:es-bio"],
          "itziar.etxeberria@tsg.example", "mikel.agirre@tsg.example", None,
          "mikel.agirre@tsg.example"),
         ("Support", "support", "es", ["ines.navarro@tsg.example",
          "javier.martinez@tsg.example", "lucia.garcia@tsg.example"],
          "ines.navarro@tsg.example", "javier.martinez@tsg.example", None,
          "javier.martinez@tsg.example"),
     ]),
]

WORKING_AIMS = {
    "Training": ("Deliver discovery and basic training, and the LEADERSHIP programme.",
                 "Training calendar, trainers, training material."),
    "Consulting": ("Accompany client organisations that adopt the circle method.",
                   "Consulting offers, expert pairs on client projects."),
    "Support": ("Serve the office's inner clients: administration, tools, finance.",
                "Office administration, tools and budget follow-up."),
    "sub-office": ("Serve clients in the sub-office's region, within the office's offer.",
                   "Local events, local partners, the sub-office's own pipeline."),
}
