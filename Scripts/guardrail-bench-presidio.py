#!/usr/bin/env python3
"""Microsoft Presidio's pattern recognizers on the Guardrails benchmark corpus.

Runs the same seeded corpus as `GuardrailBenchmark.run` (Swift) through Presidio's AnalyzerEngine
with the `no_op` NLP engine (pattern recognizers only, no NER model), single thread, and prints
throughput and per-entity recall in the same format as the Swift benchmark, so the two reports
can be printed side by side.

Setup (once):   python3 -m venv .venv-bench && .venv-bench/bin/pip install presidio-analyzer presidio-anonymizer
Run:            .venv-bench/bin/python Scripts/guardrail-bench-presidio.py [--corpus FILE.jsonl] [--seed 1234] [--bytes 10000000]

Without --corpus the corpus is generated with Scripts/gen-guardrail-corpus.py (byte-identical to the
Swift generator). Presidio entity types are mapped onto Bedrock's; Bedrock types with no Presidio
recognizer are reported as n/a. A value counts as found when a Presidio result of the mapped type
with score > 0.3 overlaps it (the threshold guardrails.md used for its figures).
"""
import argparse
import importlib.util
import json
import logging
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Presidio entity -> Bedrock PII type.
PRESIDIO_TO_BEDROCK = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_DEBIT_CARD_NUMBER",
    "US_SSN": "US_SOCIAL_SECURITY_NUMBER",
    "US_ITIN": "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    "IBAN_CODE": "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "IP_ADDRESS": "IP_ADDRESS",
    "URL": "URL",
    "US_BANK_NUMBER": "US_BANK_ACCOUNT_NUMBER",
    "ABA_ROUTING_NUMBER": "US_BANK_ROUTING_NUMBER",
    "US_PASSPORT": "US_PASSPORT_NUMBER",
    "US_DRIVER_LICENSE": "DRIVER_ID",
    "UK_NHS": "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "UK_NINO": "UK_NATIONAL_INSURANCE_NUMBER",
    "MAC_ADDRESS": "MAC_ADDRESS",
    "CA_SIN": "CA_SOCIAL_INSURANCE_NUMBER",
    "PERSON": "NAME",
    "LOCATION": "ADDRESS",
    "UK_VEHICLE_REGISTRATION": "LICENSE_PLATE",
}

TYPES = ["ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
         "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
         "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE",
         "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
         "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER",
         "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
         "VEHICLE_IDENTIFICATION_NUMBER"]


def fingerprint(b):
    h = 0xCBF29CE484222325
    for c in b:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "fnv1a64:%x" % h


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_corpus", os.path.join(HERE, "gen-guardrail-corpus.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def row(t, injected, found, extra):
    recall = "%5.3f" % (found / injected) if injected else "  n/a"
    return "  %-40s %s  (%4d/%4d)  extra %d" % (t, recall, found, injected, extra)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help="JSONL corpus (default: generate it)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--bytes", type=int, default=10_000_000)
    ap.add_argument("--threshold", type=float, default=0.3)
    a = ap.parse_args()

    if a.corpus:
        raw = open(a.corpus, "rb").read()
    else:
        raw = ("\n".join(load_generator().generate(a.seed, a.bytes)) + "\n").encode()
    records = [json.loads(l) for l in raw.decode().splitlines() if l.strip()]

    # Presidio's tldextract may try the network once and log a long traceback; keep the report clean.
    logging.disable(logging.CRITICAL)
    import presidio_analyzer
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "no_op",
                                               "models": [{"lang_code": "en", "model_name": "no_op"}]}).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    analyzer.analyze(text="warm up john@example.com", language="en")
    recognizers = analyzer.registry.get_recognizers(language="en", all_fields=True)

    total = sum(len(r["text"]) for r in records)
    injected = sum(len(r["entities"]) for r in records)
    pii_bytes = sum(e["end"] - e["start"] for r in records for e in r["entities"])
    version = getattr(presidio_analyzer, "__version__", None)
    if version is None:
        try:
            from importlib.metadata import version as _v
            version = _v("presidio-analyzer")
        except Exception:
            version = "?"
    print("engine         : Microsoft Presidio %s (%d pattern recognizers, no_op NLP engine, single thread)" % (version, len(recognizers)))
    print("corpus         : %d bytes, %d texts, %d injected values (%.2f%% of bytes), %s"
          % (total, len(records), injected, 100.0 * pii_bytes / max(1, total), fingerprint(raw)))

    t0 = time.perf_counter()
    results = [analyzer.analyze(text=r["text"], language="en") for r in records]
    dt = time.perf_counter() - t0
    print("PII scan       : %.2f MB/s (%.3f s for %d texts; %d recognizers; one pass)" % (total / 1e6 / dt, dt, len(records), len(recognizers)))
    print("full guardrail : n/a (Presidio detects PII only)")

    truth, found, extra = {}, {}, {}
    for r, res in zip(records, results):
        dets = [(PRESIDIO_TO_BEDROCK.get(x.entity_type), x.start, x.end) for x in res if x.score > a.threshold]
        dets = [d for d in dets if d[0]]
        for e in r["entities"]:
            truth[e["type"]] = truth.get(e["type"], 0) + 1
            if any(t == e["type"] and s < e["end"] and e["start"] < en for t, s, en in dets):
                found[e["type"]] = found.get(e["type"], 0) + 1
        for t, s, en in dets:
            if not any(e["type"] == t and s < e["end"] and e["start"] < en for e in r["entities"]):
                extra[t] = extra.get(t, 0) + 1
    loaded = {e for rec in recognizers for e in rec.supported_entities}
    supported = {PRESIDIO_TO_BEDROCK[e] for e in loaded if e in PRESIDIO_TO_BEDROCK}
    print("recall by entity (found/injected; extra = detections that match no injected value of that type):")
    at = af = ax = 0
    for t in TYPES:
        tt, ff, xx = truth.get(t, 0), found.get(t, 0), extra.get(t, 0)
        at, af, ax = at + tt, af + ff, ax + xx
        if t in supported:
            print(row(t, tt, ff, xx))
        else:
            print("  %-40s   n/a  (no recognizer; %d injected)" % (t, tt))
    print(row("ALL", at, af, ax))


if __name__ == "__main__":
    sys.exit(main())
