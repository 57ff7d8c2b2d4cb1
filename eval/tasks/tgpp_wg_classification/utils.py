"""3GPP working-group classification: which group's specification does a clause excerpt come from?"""

from eval.data.store import load_split as load_dataset  # noqa: F401  (the YAML's custom_dataset hook)


def prompt(doc: dict) -> str:
    groups = ", ".join(doc["choices"])
    return ("The following excerpt comes from a 3GPP technical specification.\n\nExcerpt: "
            f"{doc['excerpt']}\n\nWhich 3GPP working group ({groups}) is responsible for this "
            "specification?\nWorking group:")
