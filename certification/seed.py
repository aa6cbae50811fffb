"""The network's certification path, seeded by a migration (and by the tests after a
transactional test emptied the tables): basic training, the 18-month LEADERSHIP programme,
a mentored community of practice, the certification review by the experts' circle,
continued development. Admins edit it as a new version."""

import datetime

PATH = {
    "name": "Certified sociocracy expert",
    "name_fr": "Expert certifié en sociocratie",
    "name_es": "Experto certificado en sociocracia",
    "title": "Certified sociocracy expert",
    "title_fr": "Expert certifié en sociocratie",
    "title_es": "Experto certificado en sociocracia",
    "description": (
        "From basic training in sociocratic principles and rules to "
        "certification by the circle of certified experts. Certification is "
        "a step, never the end."
    ),
    "description_fr": (
        "De la formation de base aux principes et règles de la sociocratie "
        "jusqu'à la certification par le cercle des experts certifiés. La "
        "certification est une étape, jamais une fin."
    ),
    "description_es": (
        "De la formación básica en los principios y reglas de la sociocracia "
        "a la certificación por el círculo de expertos certificados. La "
        "certificación es un paso, nunca el final."
    ),
}
# (name, kind, expected days, description, [(evidence kind, target, description)]),
# each wording as (English, French, Spanish).
STAGES = [
    (
        ("Basic training", "Formation de base", "Formación básica"),
        "training",
        60,
        (
            "The sociocratic principles and rules: consent, circles, double link, elections.",
            "Les principes et règles de la sociocratie : consentement, cercles, double lien, "
            "élections.",
            "Los principios y reglas de la sociocracia: consentimiento, círculos, doble "
            "vínculo, elecciones.",
        ),
        [
            (
                "attendance",
                4,
                (
                    "Basic training days attended",
                    "Journées de formation de base suivies",
                    "Días de formación básica asistidos",
                ),
            ),
            (
                "reflection",
                1,
                (
                    "What the candidate takes from the training",
                    "Ce que le candidat retient de la formation",
                    "Lo que el candidato se lleva de la formación",
                ),
            ),
        ],
    ),
    (
        ("LEADERSHIP programme", "Programme LEADERSHIP", "Programa LEADERSHIP"),
        "programme",
        548,
        (
            "Eighteen months of self, team and organisational management.",
            "Dix-huit mois de gestion de soi, de l'équipe et de l'organisation.",
            "Dieciocho meses de gestión de uno mismo, del equipo y de la organización.",
        ),
        [
            (
                "attendance",
                18,
                (
                    "Programme modules attended",
                    "Modules du programme suivis",
                    "Módulos del programa asistidos",
                ),
            ),
            (
                "hours",
                120,
                (
                    "Hours of study and practice",
                    "Heures d'étude et de pratique",
                    "Horas de estudio y práctica",
                ),
            ),
            (
                "reflection",
                3,
                (
                    "Written reflections on the modules",
                    "Réflexions écrites sur les modules",
                    "Reflexiones escritas sobre los módulos",
                ),
            ),
            (
                "assessment",
                2,
                ("Mentor's assessments", "Évaluations du mentor", "Evaluaciones del mentor"),
            ),
        ],
    ),
    (
        ("Community of practice", "Communauté de pratique", "Comunidad de práctica"),
        "practice",
        365,
        (
            "Real client projects, mentored by a certified expert.",
            "De vrais projets clients, accompagnés par un expert certifié.",
            "Proyectos reales con clientes, acompañados por un experto certificado.",
        ),
        [
            (
                "project",
                3,
                (
                    "Client projects delivered",
                    "Projets clients réalisés",
                    "Proyectos con clientes realizados",
                ),
            ),
            (
                "hours",
                80,
                (
                    "Hours on client projects",
                    "Heures sur des projets clients",
                    "Horas en proyectos con clientes",
                ),
            ),
            (
                "assessment",
                3,
                (
                    "Mentor's assessments of the projects",
                    "Évaluations des projets par le mentor",
                    "Evaluaciones de los proyectos por el mentor",
                ),
            ),
        ],
    ),
    (
        ("Certification review", "Revue de certification", "Revisión de certificación"),
        "review",
        90,
        (
            "The circle of certified experts decides on the certification by consent.",
            "Le cercle des experts certifiés décide de la certification par consentement.",
            "El círculo de expertos certificados decide la certificación por consentimiento.",
        ),
        [
            (
                "document",
                1,
                ("Certification dossier", "Dossier de certification", "Dossier de certificación"),
            ),
            (
                "assessment",
                1,
                ("Mentor's recommendation", "Recommandation du mentor", "Recomendación del mentor"),
            ),
        ],
    ),
    (
        ("Continued development", "Développement continu", "Desarrollo continuo"),
        "development",
        None,
        (
            "Exchange of practice and contributions to the body of knowledge.",
            "Échange de pratiques et contributions au corpus de connaissances.",
            "Intercambio de prácticas y contribuciones al cuerpo de conocimiento.",
        ),
        [],
    ),
]


def load(apps) -> None:
    Path = apps.get_model("certification", "Path")
    PathVersion = apps.get_model("certification", "PathVersion")
    Stage = apps.get_model("certification", "Stage")
    Requirement = apps.get_model("certification", "Requirement")
    if Path.objects.filter(name=PATH["name"]).exists():
        return
    path = Path.objects.create(**PATH)
    version = PathVersion.objects.create(
        path=path,
        number=1,
        published_on=datetime.date(2026, 1, 1),
        changes="The network's path as it stands.",
    )
    for position, (name, kind, days, description, needs) in enumerate(STAGES, start=1):
        stage = Stage.objects.create(
            version=version,
            position=position,
            kind=kind,
            expected_days=days,
            name=name[0],
            name_fr=name[1],
            name_es=name[2],
            description=description[0],
            description_fr=description[1],
            description_es=description[2],
        )
        for evidence, target, text in needs:
            Requirement.objects.create(
                stage=stage,
                kind=evidence,
                target=target,
                description=text[0],
                description_fr=text[1],
                description_es=text[2],
            )
