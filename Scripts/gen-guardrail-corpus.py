#!/usr/bin/env python3
"""Seeded English corpus with injected PII, for the Guardrails benchmark.

Byte-for-byte the same generator as GuardrailCorpus.swift (Sources/Guardrails/Benchmark.swift):
SplitMix64 random numbers, integer arithmetic only, and the vocabulary in
Sources/GuardrailsData/Data/corpus-vocab.json. Output is JSONL, one record per line:
  {"text":"...","entities":[{"type":"EMAIL","start":12,"end":30}]}
with byte offsets (the corpus is ASCII). All injected values are valid for their format
(Luhn, mod-97, ABA 3-7-1, VIN check digit, NHS/UTR mod 11, SSN/ITIN ranges).

Usage: gen-guardrail-corpus.py [--seed 1234] [--bytes 10000000] OUT.jsonl
"""
import argparse
import json
import os
import sys

MASK = (1 << 64) - 1
HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_PATH = os.path.join(HERE, "..", "Sources", "GuardrailsData", "Data", "corpus-vocab.json")

TYPES = ["ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
         "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
         "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE",
         "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
         "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER",
         "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
         "VEHICLE_IDENTIFICATION_NUMBER"]

DIG = "0123456789"
UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOW = "abcdefghijklmnopqrstuvwxyz"
HEX = "0123456789ABCDEF"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = UP + LOW + DIG + "/+"
PW = UP + LOW + DIG + "!#$%&*@^"
VINCH = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
UPNUM = UP + DIG


class Rng:
    def __init__(self, seed):
        self.s = seed & MASK

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def pick(self, xs):
        return xs[self.below(len(xs))]

    def chars(self, alphabet, k):
        return "".join(alphabet[self.below(len(alphabet))] for _ in range(k))

    def between(self, lo, hi):  # inclusive
        return lo + self.below(hi - lo + 1)


def luhn_complete(payload):
    s = 0
    for i, ch in enumerate(reversed(payload)):
        v = int(ch)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        s += v
    return payload + str((10 - s % 10) % 10)


CARD_BRANDS = [("4", 16), ("4", 13), ("4", 19), ("51", 16), ("53", 16), ("55", 16), ("2221", 16), ("2720", 16),
               ("34", 15), ("37", 15), ("6011", 16), ("65", 16), ("3528", 16), ("3589", 16), ("2131", 15), ("1800", 15),
               ("36", 14), ("639015", 12), ("6304", 16), ("62", 16)]

IBAN_COUNTRIES = [("GB", "LLLLNNNNNNNNNNNNNN"), ("DE", "NNNNNNNNNNNNNNNNNN"), ("FR", "NNNNNNNNNNNNNNNNNNNNNNN"),
                  ("ES", "NNNNNNNNNNNNNNNNNNNN"), ("IT", "LNNNNNNNNNNNNNNNNNNNNNN"), ("NL", "LLLLNNNNNNNNNN"),
                  ("BE", "NNNNNNNNNNNN"), ("CH", "NNNNNNNNNNNNNNNNN"), ("AT", "NNNNNNNNNNNNNNNN"),
                  ("IE", "LLLLNNNNNNNNNNNNNN"), ("PL", "NNNNNNNNNNNNNNNNNNNNNNNN"), ("SE", "NNNNNNNNNNNNNNNNNNNN"),
                  ("NO", "NNNNNNNNNNN")]


def iban_value(r):
    cc, shape = r.pick(IBAN_COUNTRIES)
    bban = "".join(r.chars(UP, 1) if c == "L" else r.chars(DIG, 1) for c in shape)
    num = ""
    for ch in bban + cc + "00":
        num += str(ord(ch) - 55) if ch.isalpha() else ch
    check = 98 - int(num) % 97
    s = cc + "%02d" % check + bban
    if r.below(2) == 0:
        s = " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def aba_value(r):
    pre = r.pick(["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "21", "22", "26", "31", "32",
                  "61", "63", "67", "71", "72", "80"])
    body = pre + r.chars(DIG, 6)
    d = [int(c) for c in body]
    s = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5])
    return body + str((10 - s % 10) % 10)


def vin_value(r):
    body = [r.pick(VINCH) for _ in range(11)] + [r.pick(DIG) for _ in range(6)]
    vals = {}
    for ch, v in zip("ABCDEFGH", range(1, 9)):
        vals[ch] = v
    for ch, v in zip("JKLMN", range(1, 6)):
        vals[ch] = v
    vals["P"] = 7
    vals["R"] = 9
    for ch, v in zip("STUVWXYZ", range(2, 10)):
        vals[ch] = v
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    s = 0
    for k, ch in enumerate(body):
        s += (int(ch) if ch.isdigit() else vals[ch]) * weights[k]
    rem = s % 11
    body[8] = "X" if rem == 10 else str(rem)
    return "".join(body)


def nhs_value(r):
    while True:
        d = r.chars(DIG, 9)
        s = sum(int(c) * (10 - k) for k, c in enumerate(d))
        c = 11 - s % 11
        if c == 11:
            c = 0
        if c != 10:
            v = d + str(c)
            return v[0:3] + " " + v[3:6] + " " + v[6:10]


def utr_value(r):
    d = r.chars(DIG, 9)
    w = [6, 7, 8, 9, 10, 5, 4, 3, 2]
    s = sum(int(c) * w[k] for k, c in enumerate(d))
    return "21987654321"[s % 11] + d


def sin_value(r):
    v = luhn_complete(r.pick("1234567 9".replace(" ", "")) + r.chars(DIG, 7))
    sep = r.pick([" ", "-"])
    return v[0:3] + sep + v[3:6] + sep + v[6:9]


def nino_value(r):
    while True:
        a = r.pick("ABCEGHJKLMNOPRSTWXYZ")
        b = r.pick("ABCEGHJKLMNPRSTWXYZ")
        if a + b not in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
            break
    d = r.chars(DIG, 6)
    s = r.pick("ABCD")
    if r.below(2) == 0:
        return a + b + " " + d[0:2] + " " + d[2:4] + " " + d[4:6] + " " + s
    return a + b + d + s


def card_value(r):
    prefix, length = r.pick(CARD_BRANDS)
    v = luhn_complete(prefix + r.chars(DIG, length - len(prefix) - 1))
    style = r.below(10)
    if length == 16 and style >= 6:
        sep = " " if style < 9 else "-"
        return sep.join(v[i:i + 4] for i in range(0, 16, 4))
    if length == 15 and prefix in ("34", "37") and style >= 7:
        return v[0:4] + " " + v[4:10] + " " + v[10:15]
    return v


def phone_value(r):
    area = str(r.between(2, 9)) + r.chars(DIG, 2)
    if area[1:] == "11":
        area = area[0] + "20"
    exch = str(r.between(2, 9)) + r.chars(DIG, 2)
    if exch[1:] == "11":
        exch = exch[0] + "21"
    line = r.chars(DIG, 4)
    f = r.below(8)
    if f == 0:
        return "(%s) %s-%s" % (area, exch, line)
    if f == 1:
        return "%s-%s-%s" % (area, exch, line)
    if f == 2:
        return "%s.%s.%s" % (area, exch, line)
    if f == 3:
        return "+1-%s-%s-%s" % (area, exch, line)
    if f == 4:
        return "001-%s-%s-%s" % (area, exch, line)
    if f == 5:
        return "%s-%s-%sx%s" % (area, exch, line, r.chars(DIG, 3))
    if f == 6:
        return "+44 20 7946 0%s" % r.chars(DIG, 3)
    return "+1 %s %s %s" % (area, exch, line)


def pii_record(r, t, v):
    """Returns (prefix, value, suffix) for type t."""
    W = v["words"]
    fn, ln = r.pick(v["firstNames"]), r.pick(v["lastNames"])
    if t == "ADDRESS":
        a = str(r.between(1, 9)) + r.chars(DIG, r.below(4)) + " " + r.pick(v["streets"]) + " " + r.pick(v["suffixes"])
        if r.below(2) == 0:
            city, st = r.pick(v["cities"])
            a += ", " + city + ", " + st + " " + r.chars(DIG, 5)
        return (r.pick(["Ship it to ", "The office is at ", "I live at "]), a, ".")
    if t == "AGE":
        n = str(r.between(18, 95))
        return r.pick([("I am ", n, " years old."), ("The patient, aged ", n, ", recovered."), ("Age: ", n, ".")])
    if t == "AWS_ACCESS_KEY":
        return (r.pick(["Use key ", "The access key is ", "Found "]), r.pick(["AKIA", "ASIA"]) + r.chars(B32, 16), " in the logs.")
    if t == "AWS_SECRET_KEY":
        s = r.chars(UP, 1) + r.chars(LOW, 1) + r.chars(B64, 38)
        return (r.pick(["aws_secret_access_key = ", "The secret key is ", "secret: "]), s, "")
    if t == "CA_HEALTH_NUMBER":
        d = r.chars(DIG, 10)
        val = d[0:4] + "-" + d[4:7] + "-" + d[7:10] + (("-" + r.chars(UP, 2)) if r.below(2) == 0 else "")
        return (r.pick(["My health card number is ", "OHIP ", "Health card: "]), val, ".")
    if t == "CA_SOCIAL_INSURANCE_NUMBER":
        return (r.pick(["SIN ", "My social insurance number is ", "Their SIN: "]), sin_value(r), ".")
    if t == "CREDIT_DEBIT_CARD_CVV":
        return (r.pick(["CVV ", "The security code is ", "cvc: "]), r.chars(DIG, 3 + r.below(2)), ".")
    if t == "CREDIT_DEBIT_CARD_EXPIRY":
        return (r.pick(["It expires ", "exp ", "Expiry date: "]), "%02d/%02d" % (r.between(1, 12), r.between(25, 35)), ".")
    if t == "CREDIT_DEBIT_CARD_NUMBER":
        return (r.pick(["Card number ", "I paid with ", "Charge "]), card_value(r), " today.")
    if t == "DRIVER_ID":
        return (r.pick(["Driver's license ", "DL: ", "My driver license number is "]), r.chars(UP, 1) + r.chars(DIG, 7), ".")
    if t == "EMAIL":
        local = fn.lower() + "." + ln.lower() + (r.chars(DIG, 2) if r.below(2) == 0 else "")
        return (r.pick(["Contact ", "Send it to ", "Reach me at "]), local + "@" + r.pick(v["domains"]) + "." + r.pick(v["tlds"]), ".")
    if t == "INTERNATIONAL_BANK_ACCOUNT_NUMBER":
        return (r.pick(["IBAN ", "Transfer to ", "Account "]), iban_value(r), ".")
    if t == "IP_ADDRESS":
        if r.below(5) == 0:
            val = "2001:db8:" + ":".join(r.chars("0123456789abcdef", 4) for _ in range(6))
        else:
            val = ".".join(str(r.between(1, 254)) for _ in range(4))
        return (r.pick(["Request from ", "The server at ", "Blocked "]), val, " was slow.")
    if t == "LICENSE_PLATE":
        f = r.below(3)
        if f == 0:
            val = r.chars(UP, 2) + r.chars(DIG, 2) + " " + r.chars(UP, 3)
        elif f == 1:
            val = r.chars(UP, 3) + "-" + r.chars(DIG, 4)
        else:
            val = r.chars(DIG, 1) + r.chars(UP, 3) + r.chars(DIG, 3)
        return (r.pick(["License plate ", "The car with registration ", "plate "]), val, ".")
    if t == "MAC_ADDRESS":
        sep = r.pick([":", "-"])
        return (r.pick(["Device ", "MAC ", "The adapter "]), sep.join(r.chars(HEX, 2) for _ in range(6)), " joined.")
    if t == "NAME":
        return (r.pick(["I spoke with ", "Please ask ", "The report was written by "]), fn + " " + ln, ".")
    if t == "PASSWORD":
        return (r.pick(["password: ", "My password is ", "pwd="]), r.chars(PW, r.between(10, 14)), "")
    if t == "PHONE":
        return (r.pick(["Call ", "My number is ", "Reach the office at "]), phone_value(r), ".")
    if t == "PIN":
        return (r.pick(["PIN ", "My pin is ", "PIN: "]), r.chars(DIG, r.pick([4, 4, 6])), ".")
    if t == "SWIFT_CODE":
        val = r.chars(UP, 4) + r.pick(["DE", "GB", "US", "FR", "CH", "NL", "IT", "ES"]) + r.chars(UPNUM, 2)
        if r.below(2) == 0:
            val += r.pick(["XXX", r.chars(UPNUM, 3)])
        return (r.pick(["SWIFT code ", "BIC: ", "Use SWIFT "]), val, ".")
    if t == "UK_NATIONAL_HEALTH_SERVICE_NUMBER":
        return (r.pick(["NHS number ", "My NHS no. is ", "NHS: "]), nhs_value(r), ".")
    if t == "UK_NATIONAL_INSURANCE_NUMBER":
        return (r.pick(["National Insurance number ", "NINO ", "My NI number is "]), nino_value(r), ".")
    if t == "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER":
        return (r.pick(["UTR ", "My UTR is ", "Unique taxpayer reference UTR: "]), utr_value(r), ".")
    if t == "URL":
        val = "https://www." + r.pick(v["domains"]) + "." + r.pick(v["tlds"]) + "/" + r.pick(W).lower()
        return (r.pick(["See ", "Visit ", "Docs are at "]), val, " for details.")
    if t == "USERNAME":
        val = r.pick([fn.lower() + "_" + ln.lower(), r.pick(W).lower() + r.chars(DIG, 3)])
        return (r.pick(["username: ", "Login: ", "My username is "]), val, "")
    if t == "US_BANK_ACCOUNT_NUMBER":
        return (r.pick(["account number ", "Bank account: ", "Acct "]), r.chars("123456789", 1) + r.chars(DIG, r.between(7, 11)), ".")
    if t == "US_BANK_ROUTING_NUMBER":
        return (r.pick(["routing number ", "ABA ", "Routing: "]), aba_value(r), ".")
    if t == "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER":
        g = r.pick([50, 55, 60, 65, 70, 75, 80, 88, 90, 92, 94, 99])
        return (r.pick(["ITIN ", "My taxpayer id is ", "Tax ID "]), "9%s-%02d-%s" % (r.chars(DIG, 2), g, r.chars(DIG, 4)), ".")
    if t == "US_PASSPORT_NUMBER":
        val = r.chars(DIG, 9) if r.below(2) == 0 else r.chars(UP, 1) + r.chars(DIG, 8)
        return (r.pick(["Passport ", "passport number ", "My passport is "]), val, ".")
    if t == "US_SOCIAL_SECURITY_NUMBER":
        area = r.between(1, 899)
        if area == 666:
            area = 667
        return (r.pick(["SSN ", "My social security number is ", "Employee "]), "%03d-%02d-%04d" % (area, r.between(1, 99), r.between(1, 9999)), ".")
    if t == "VEHICLE_IDENTIFICATION_NUMBER":
        return (r.pick(["VIN ", "The car's VIN is ", "Vehicle "]), vin_value(r), ".")
    raise ValueError(t)


def trap(r, v):
    """Text that looks like PII but is not (never ground truth)."""
    f = r.below(8)
    if f == 0:
        return "Build %d finished." % r.between(1600000000, 1799999999)
    if f == 1:
        return "Upgrade to version %d.%d.%d.%d first." % (r.between(1, 12), r.below(10), r.below(10), r.below(100))
    if f == 2:
        return "See commit %s for the fix." % r.chars("0123456789abcdef", 40)
    if f == 3:
        while True:
            d = "4" + r.chars(DIG, 15)
            if luhn_complete(d[:15]) != d:
                return "Order %s shipped." % d
    if f == 4:
        return "The call ended at %02d:%02d:%02d." % (r.below(24), r.below(60), r.below(60))
    if f == 5:
        return "Logged on 20%02d-%02d-%02d." % (r.between(10, 30), r.between(1, 12), r.between(1, 28))
    if f == 6:
        return "Ticket %d was closed." % r.between(1000000000, 9999999999)
    return "The team grew 12.5%% to %d people." % r.between(10, 999)


def sentence(r, v):
    W = v["words"]
    n = 6 + r.below(10)
    ws = [r.pick(W) for _ in range(n)]
    ws[0] = ws[0][0].upper() + ws[0][1:]
    return " ".join(ws) + "."


def esc(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def generate(seed=1234, target_bytes=10_000_000, vocab=None):
    """Yields JSONL lines (str, without newline) until the texts total at least target_bytes."""
    v = vocab or json.load(open(VOCAB_PATH))
    r = Rng(seed)
    total = 0
    while total < target_bytes:
        parts = [sentence(r, v) for _ in range(2 + r.below(4))]
        if r.below(100) < 12:
            parts.insert(r.below(len(parts) + 1), trap(r, v))
        ents = []
        pii = None
        if r.below(100) < 16:
            t = TYPES[r.below(len(TYPES))]
            pii = (t,) + pii_record(r, t, v)
            pos = r.below(len(parts) + 1)
        text = ""
        for k in range(len(parts) + 1):
            if pii is not None and k == pos:
                t, pre, val, suf = pii
                if text:
                    text += " "
                start = len(text) + len(pre)
                text += pre + val + suf
                ents.append((t, start, start + len(val)))
            if k < len(parts):
                if text:
                    text += " "
                text += parts[k]
        total += len(text)
        e = ",".join('{"type":"%s","start":%d,"end":%d}' % x for x in ents)
        yield '{"text":"%s","entities":[%s]}' % (esc(text), e)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--bytes", type=int, default=10_000_000)
    ap.add_argument("out")
    a = ap.parse_args()
    with open(a.out, "w") as f:
        for line in generate(a.seed, a.bytes):
            f.write(line + "\n")


if __name__ == "__main__":
    sys.exit(main())
