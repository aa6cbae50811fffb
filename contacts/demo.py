"""Demo contacts and buyer personas for each office, in the office's language."""

from __future__ import annotations

import zlib

from django.db import transaction

from circles.models import Circle, Decision, Office

from .generate import generate_people
from .models import Person, Persona, PersonaObjection

PEOPLE_PER_OFFICE = 300
PEOPLE_PER_SUB_OFFICE = 80

PERSONAS = {
    "fr": [
        ("Dirigeante de PME (15 personnes)",
         "Fondatrice et gérante d'une entreprise de services de 15 personnes.",
         "45-55 ans, formation d'ingénieure, vit en ville moyenne.",
         "Préfère les appels directs et les rencontres en personne ; lit peu les blogs.",
         "Faire grandir l'entreprise sans tout porter seule ; fidéliser l'équipe.",
         "Décisions qui remontent toutes vers elle ; réunions longues et peu conclusives.",
         "Formation de base puis accompagnement à la mise en place des cercles.",
         "« Je veux que l'équipe décide, mais je reste responsable. »",
         "Accompagnement de 6 mois : formation, mise en place, suivi.",
         "Nous aidons les dirigeants à partager les décisions sans perdre le cap.",
         [("price", "C'est cher pour une PME.",
           "Le coût d'une décision mal prise ou d'un départ dépasse vite l'accompagnement."),
          ("time", "Nous n'avons pas le temps.",
           "Les réunions par consentement sont plus courtes : le temps se regagne vite.")]),
        ("Président·e d'association (150 membres)",
         "Bénévole, préside une association de 150 membres et un conseil de 12 personnes.",
         "50-65 ans, ancien cadre, très engagé localement.",
         "Lit les courriels et la lettre d'information ; vient aux événements.",
         "Que chacun participe sans que les assemblées s'éternisent.",
         "Conflits entre groupes ; votes qui divisent.",
         "Découverte puis formation du conseil à la décision par consentement.",
         "« On vote et la moitié repart mécontente. »",
         "Journée découverte et accompagnement du conseil.",
         "Décider ensemble sans perdants.",
         [("need", "Nous fonctionnons déjà en démocratie.",
           "Le consentement garde la démocratie et supprime les perdants du vote.")]),
    ],
    "es": [
        ("Directora de pyme (15 personas)",
         "Fundadora y gerente de una empresa de servicios de 15 personas.",
         "45-55 años, ingeniera, vive en una ciudad mediana.",
         "Prefiere las llamadas directas y las reuniones en persona.",
         "Hacer crecer la empresa sin cargar con todo; retener al equipo.",
         "Todas las decisiones pasan por ella; reuniones largas y sin conclusión.",
         "Formación básica y acompañamiento en la puesta en marcha de los círculos.",
         "«Quiero que el equipo decida, pero sigo siendo la responsable.»",
         "Acompañamiento de 6 meses: formación, puesta en marcha, seguimiento.",
         "Ayudamos a los directivos a compartir las decisiones sin perder el rumbo.",
         [("price", "Es caro para una pyme.",
           "Una mala decisión o la salida de alguien cuesta más que el acompañamiento.")]),
    ],
    "en": [
        ("Owner-manager of a 15-person company",
         "Founder and managing director of a 15-person service company.",
         "45-55, engineering background, lives in a mid-sized town.",
         "Prefers direct calls and meeting in person; rarely reads blogs.",
         "Grow the company without carrying everything alone; keep the team.",
         "Every decision lands on her desk; long meetings that conclude nothing.",
         "Basic training, then accompaniment while the circles are set up.",
         "\"I want the team to decide, but I am still the one accountable.\"",
         "Six-month accompaniment: training, set-up, follow-up.",
         "We help leaders share decisions without losing direction.",
         [("time", "We have no time for this.",
           "Consent meetings are shorter: the time comes back quickly.")]),
    ],
}


@transaction.atomic
def build_demo_contacts() -> dict[str, int]:
    added = 0
    for office in Office.objects.filter(active=True).order_by("pk"):
        target = PEOPLE_PER_SUB_OFFICE if office.parent_id else PEOPLE_PER_OFFICE
        existing = Person.objects.filter(office=office).count()
        if existing < target:
            added += generate_people(office=office, count=target - existing,
                                     seed=zlib.crc32(office.name.encode()))
        if office.parent_id is None and not Persona.objects.filter(office=office).exists():
            language = next((c for c in office.language_list if c in PERSONAS), "en")
            circle = Circle.objects.filter(office=office, kind=Circle.Kind.DEPARTMENT,
                                           parent__office__isnull=True).first()
            # The circle's logbook may hold the decision that adopted its first persona.
            decision = Decision.objects.filter(circle=circle, title__startswith="Persona"
                                               ).first() if circle else None
            for n, spec in enumerate(PERSONAS[language]):
                (name, situation, demographics, behaviour, objectives, challenges, what,
                 insights, product, pitch, objections) = spec
                persona = Persona.objects.create(
                    office=office, name=name, situation=situation, demographics=demographics,
                    behaviour=behaviour, objectives=objectives, challenges=challenges,
                    what_we_can_do=what, insights=insights, product_description=product,
                    elevator_pitch=pitch, adopted_by=circle,
                    decision=decision if n == 0 else None,
                    adopted_on=decision.decided_on if decision and n == 0 else None)
                PersonaObjection.objects.bulk_create([
                    PersonaObjection(persona=persona, category=c, objection=o, answer=a)
                    for c, o, a in objections])
    return {"contacts_added": added, "contacts": Person.objects.count()}
