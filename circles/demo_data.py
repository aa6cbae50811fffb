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
