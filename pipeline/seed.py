"""The network's seven phases, their routines and related activities (seed 000, the CRM
workshop), and the usual lost reasons. Loaded by a data migration; admins edit wording
and probabilities afterwards."""

# (number, (en, fr, es), probability %, expected days, after won,
#  routines [(en, fr, es)], related activities [(en, fr, es)])
PHASES = [
    (1, ("Contact", "Contact", "Contacto"), 5, 21, False, [
        ("Identify prospects from the targeted client pool",
         "Identifier des prospects dans le vivier de clients ciblé",
         "Identificar clientes potenciales en el grupo de clientes objetivo"),
        ("Get involved in physical networks (business clubs)",
         "S'impliquer dans des réseaux physiques (clubs d'affaires)",
         "Participar en redes presenciales (clubes de negocios)"),
        ("Contact prospects through organised events",
         "Contacter des prospects lors d'événements organisés",
         "Contactar clientes potenciales en eventos organizados"),
        ("Contact through providers (training organisations)",
         "Passer par des apporteurs (organismes de formation)",
         "Contactar a través de proveedores (organismos de formación)"),
        ("Manage web-site contacts (call back)",
         "Traiter les contacts du site web (rappeler)",
         "Gestionar los contactos de la web (devolver la llamada)"),
        ("Get or buy lists of potential customers",
         "Obtenir ou acheter des listes de clients potentiels",
         "Conseguir o comprar listas de clientes potenciales"),
    ], [
        ("Have the newsletter reach the network",
         "Faire parvenir la lettre d'information au réseau",
         "Hacer llegar el boletín a la red"),
        ("Contact training organisations", "Contacter des organismes de formation",
         "Contactar organismos de formación"),
        ("Be present on partners' web sites", "Être présent sur les sites des partenaires",
         "Estar presente en las webs de los socios"),
    ]),
    (2, ("Create relation", "Création de la relation", "Creación de la relación"), 10, 30,
     False, [
         ("Communicate regularly through the right social network",
          "Communiquer régulièrement par le bon réseau social",
          "Comunicar con regularidad por la red social adecuada"),
         ("Call back old contacts and clients", "Rappeler les anciens contacts et clients",
          "Volver a llamar a antiguos contactos y clientes"),
         ("Meet the client for a drink or breakfast",
          "Rencontrer le client autour d'un verre ou d'un petit-déjeuner",
          "Quedar con el cliente para tomar algo o desayunar"),
         ("Sustain relations with relayers, ambassadors and influencers",
          "Entretenir les relations avec les relais, ambassadeurs et influenceurs",
          "Mantener la relación con intermediarios, embajadores e influencers"),
     ], [
         ("Propose discovery activities", "Proposer des activités de découverte",
          "Proponer actividades de descubrimiento"),
     ]),
    (3, ("Customer's need", "Besoin du client", "Necesidad del cliente"), 25, 30, False, [
        ("Recognise the client's needs and personalise the offer",
         "Reconnaître les besoins du client et personnaliser l'offre",
         "Reconocer las necesidades del cliente y personalizar la oferta"),
        ("Listen more, talk less", "Écouter plus, parler moins",
         "Escuchar más, hablar menos"),
        ("Have the customer write down its needs", "Faire écrire ses besoins au client",
         "Pedir al cliente que escriba sus necesidades"),
        ("Give the client an insight of what we can do",
         "Donner au client un aperçu de ce que nous pouvons faire",
         "Dar al cliente una idea de lo que podemos hacer"),
    ], [
        ("Enrol the customer in basic training", "Inscrire le client à la formation de base",
         "Inscribir al cliente en la formación básica"),
        ("Analyse the need with a table during the meeting",
         "Analyser le besoin avec un tableau pendant la réunion",
         "Analizar la necesidad con una tabla durante la reunión"),
        ("Go to the meeting with two experts", "Aller au rendez-vous à deux experts",
         "Ir a la reunión con dos expertos"),
    ]),
    (4, ("Offer personalisation", "Personnalisation de l'offre",
         "Personalización de la oferta"), 45, 21, False, [
        ("Create solutions that resolve the customer's problems (objections)",
         "Créer des solutions qui résolvent les problèmes du client (objections)",
         "Crear soluciones que resuelvan los problemas del cliente (objeciones)"),
        ("Prepare the offer with inspirational texts",
         "Préparer l'offre avec des textes inspirants",
         "Preparar la oferta con textos inspiradores"),
    ], []),
    (5, ("Selling phase", "Phase de vente", "Fase de venta"), 70, 21, False, [
        ("Checkpoint and follow-up if needed", "Point d'étape et relance si besoin",
         "Punto de control y seguimiento si hace falta"),
        ("Get the contract signed", "Faire signer le contrat", "Conseguir la firma del contrato"),
        ("Send an email of appreciation and celebrate with the client",
         "Envoyer un courriel de remerciement et fêter avec le client",
         "Enviar un correo de agradecimiento y celebrarlo con el cliente"),
    ], []),
    (6, ("Service delivery", "Prestation du service", "Prestación del servicio"), 100, 90,
     True, [
         ("Have the client provide all documentation and prepare a roadmap with them",
          "Obtenir toute la documentation du client et préparer une feuille de route avec lui",
          "Obtener toda la documentación del cliente y preparar con él una hoja de ruta"),
         ("Define which expert(s) will be involved and the client's overall implication",
          "Définir les experts impliqués et l'implication globale du client",
          "Definir qué expertos intervienen y la implicación global del cliente"),
     ], [
         ("Materialise and deliver the service", "Concrétiser et délivrer le service",
          "Materializar y prestar el servicio"),
     ]),
    (7, ("Post selling", "Après-vente", "Posventa"), 100, 60, True, [
        ("Evaluate customer satisfaction", "Évaluer la satisfaction du client",
         "Evaluar la satisfacción del cliente"),
        ("Improve training material with experience",
         "Améliorer le matériel de formation grâce à l'expérience",
         "Mejorar el material de formación con la experiencia"),
        ("Drive the customer to the certification process",
         "Orienter le client vers le parcours d'agrément",
         "Orientar al cliente hacia el proceso de certificación"),
    ], [
        ("Enrol the customer in advanced training and the School of leaders",
         "Inscrire le client à la formation avancée et à l'École des dirigeants",
         "Inscribir al cliente en la formación avanzada y la Escuela de líderes"),
    ]),
]

LOST_REASONS = [
    ("No budget", "Pas de budget", "Sin presupuesto"),
    ("Not the right time", "Pas le bon moment", "No es el momento"),
    ("Chose another provider", "A choisi un autre prestataire", "Eligió otro proveedor"),
    ("No decision power reached", "Pas d'accès au décideur", "Sin acceso a quien decide"),
    ("Need not confirmed", "Besoin non confirmé", "Necesidad no confirmada"),
    ("No answer any more", "Plus de réponse", "Ya no responde"),
]


def load(apps) -> None:
    Phase = apps.get_model("pipeline", "Phase")  # noqa: N806
    Routine = apps.get_model("pipeline", "Routine")  # noqa: N806
    LostReason = apps.get_model("pipeline", "LostReason")  # noqa: N806
    for number, (en, fr, es), probability, days, after_won, routines, activities in PHASES:
        phase, _ = Phase.objects.update_or_create(number=number, defaults={
            "name": en, "name_fr": fr, "name_es": es, "default_probability": probability,
            "expected_days": days, "after_won": after_won})
        for kind, items in (("routine", routines), ("activity", activities)):
            for order, (t_en, t_fr, t_es) in enumerate(items):
                Routine.objects.update_or_create(
                    phase=phase, kind=kind, order=order,
                    defaults={"text": t_en, "text_fr": t_fr, "text_es": t_es})
    for order, (en, fr, es) in enumerate(LOST_REASONS):
        LostReason.objects.update_or_create(name=en, defaults={
            "name_fr": fr, "name_es": es, "order": order})
