"""Realistic training files, generated (deterministically) so the emulator needs no data beside itself."""

from __future__ import annotations

import json
import random
from typing import Any

_PRODUCTS = ("trail bike", "city bike", "e-bike battery", "helmet", "child seat", "cargo bike", "rear rack")
_ISSUES = (
    ("my {p} arrived with a scratch on the frame", "I'm sorry about the scratch on your {p}. Send us a photo and "
     "we'll ship a touch-up kit today, or arrange a free exchange if you prefer."),
    ("how long does delivery of a {p} take", "Most orders of a {p} ship within two working days and arrive three "
     "to five days later. You'll get a tracking link by email as soon as it leaves the warehouse."),
    ("can I return my {p} after 30 days", "Our standard window is 30 days, but if the {p} is unused we can "
     "usually accept it up to 60 days. Reply with your order number and I'll check."),
    ("the {p} I ordered is the wrong size", "No problem: start an exchange from your account page and we'll "
     "send the right size of {p} before you return the first one."),
    ("is the {p} covered by warranty", "Yes. Every {p} has a two-year warranty covering manufacturing faults. "
     "Wear parts like tyres and pads are not included."),
)  # fmt: skip
_TABLES = {
    "orders": ("id", "customer_id", "total", "created_at", "status"),
    "customers": ("id", "name", "country", "signup_date"),
    "invoices": ("id", "order_id", "amount", "due_date", "paid"),
    "shipments": ("id", "order_id", "carrier", "shipped_at"),
}
_COUNTRIES = ("France", "Germany", "Canada", "Japan", "Brazil", "Kenya", "Norway")
_CLAUSES = (
    ("limitation of liability", "cap liability at 12 months of fees and exclude indirect damages"),
    ("termination for convenience", "require 60 days' written notice and pro-rata refunds"),
    ("governing law", "keep the laws of England and Wales and the courts of London"),
    ("data processing", "attach the standard DPA and list sub-processors in Annex 2"),
    ("payment terms", "move payment to 45 days from invoice and add late interest at 2%"),
)
_TONE = (
    ("Our servers are down again.", "I'm sorry about the outage. Our team is on it and I'll update you within "
     "the hour.", "Servers go down sometimes."),
    ("Why was I charged twice?", "Thanks for flagging this. I can see the duplicate charge and have refunded it; "
     "it will appear in 3-5 days.", "You were probably charged twice by mistake."),
    ("Can I change my plan mid-month?", "Absolutely. The change applies right away and we prorate the difference "
     "on your next invoice.", "Yes."),
    ("Your app deleted my notes!", "That sounds stressful. Notes are kept for 30 days after deletion, so let's "
     "restore them together now.", "Check the trash."),
)  # fmt: skip
_SECURITY = (
    ("Do you encrypt customer data at rest?", "yes", "AES-256 encryption at rest is stated in section 4.2."),
    ("Do you have a dedicated security team?", "yes", "A dedicated security team is described in section 1."),
    ("Have you had a penetration test in the last 12 months?", "needs review", "The policy mentions audits but no "
     "penetration test date."),
    ("Is multi-factor authentication enforced for staff?", "yes", "MFA for all staff accounts is required by "
     "section 3.1."),
    ("Do you store data outside the EU?", "no", "All processing happens in Frankfurt and Dublin."),
    ("Do you have an incident response plan?", "yes", "Section 6 describes the incident response process."),
)  # fmt: skip


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


def support_chat(rng: random.Random, count: int, *, broken_line: int | None = None) -> bytes:
    """Customer-support conversations; `broken_line` (1-based) leaves out a message's role."""
    lines = []
    for number in range(1, count + 1):
        question, answer = rng.choice(_ISSUES)
        product = rng.choice(_PRODUCTS)
        user = {"role": "user", "content": question.format(p=product).capitalize() + "?"}
        if broken_line == number:
            user = {"content": user["content"]}
        messages = [
            {"role": "system", "content": "You are Velo & Co's support assistant: warm, brief and practical."},
            user,
            {"role": "assistant", "content": answer.format(p=product)},
        ]
        lines.append(_line({"messages": messages}))
    return ("\n".join(lines) + "\n").encode()


def sql_chat(rng: random.Random, count: int) -> bytes:
    lines = []
    for _ in range(count):
        table = rng.choice(sorted(_TABLES))
        columns = _TABLES[table]
        column = rng.choice(columns[1:])
        country = rng.choice(_COUNTRIES)
        if table == "customers":
            ask = f"How many customers from {country} signed up this year?"
            sql = (
                f"SELECT COUNT(*) FROM customers WHERE country = '{country}' "
                "AND signup_date >= DATE_TRUNC('year', NOW());"
            )
        else:
            days = rng.choice((7, 30, 90))
            ask = f"Show the {column.replace('_', ' ')} of {table} from the last {days} days, newest first."
            sql = (
                f"SELECT id, {column} FROM {table} WHERE created_at >= NOW() - INTERVAL '{days} days' "
                "ORDER BY created_at DESC;"
            )
        schema = "; ".join(f"{name}({', '.join(cols)})" for name, cols in sorted(_TABLES.items()))
        messages = [
            {"role": "system", "content": f"Translate questions into PostgreSQL. Tables: {schema}."},
            {"role": "user", "content": ask},
            {"role": "assistant", "content": sql},
        ]
        lines.append(_line({"messages": messages}))
    return ("\n".join(lines) + "\n").encode()


_REDLINE_TOOL = {
    "type": "function",
    "function": {
        "name": "propose_redline",
        "description": "Propose a change to one clause of the contract under review.",
        "parameters": {
            "type": "object",
            "properties": {
                "clause": {"type": "string"},
                "change": {"type": "string"},
                "severity": {"type": "string", "enum": ["low", "medium", "high"]},
            },
            "required": ["clause", "change", "severity"],
        },
    },
}


def redline_tools(rng: random.Random, count: int) -> bytes:
    lines = []
    for number in range(count):
        clause, change = rng.choice(_CLAUSES)
        severity = rng.choice(("low", "medium", "high"))
        arguments = json.dumps({"clause": clause, "change": change, "severity": severity})
        messages = [
            {"role": "system", "content": "You review supplier contracts for Northwind Labs' legal team."},
            {"role": "user", "content": f"Review the {clause} clause in draft {1000 + number}."},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": f"call_{number}",
                        "type": "function",
                        "function": {"name": "propose_redline", "arguments": arguments},
                    }
                ],
            },
        ]
        lines.append(_line({"messages": messages, "tools": [_REDLINE_TOOL], "parallel_tool_calls": False}))
    return ("\n".join(lines) + "\n").encode()


def receipt_vision(rng: random.Random, count: int) -> bytes:
    lines = []
    for number in range(count):
        total = round(rng.uniform(4, 180), 2)
        messages = [
            {"role": "system", "content": "Extract the merchant and total from a receipt photo as JSON."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What does this receipt say?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": f"https://files.example.com/receipts/{number:05d}.jpg", "detail": "low"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": json.dumps(
                    {"merchant": rng.choice(("Cafe Lumen", "Bricoshop", "Metro Fuel")), "total": total}
                ),
            },
        ]
        lines.append(_line({"messages": messages}))
    return ("\n".join(lines) + "\n").encode()


def tone_preferences(rng: random.Random, count: int) -> bytes:
    lines = []
    for _ in range(count):
        prompt, good, bad = rng.choice(_TONE)
        lines.append(
            _line(
                {
                    "input": {
                        "messages": [{"role": "user", "content": prompt}],
                        "tools": [],
                        "parallel_tool_calls": True,
                    },
                    "preferred_output": [{"role": "assistant", "content": good}],
                    "non_preferred_output": [{"role": "assistant", "content": bad}],
                }
            )
        )
    return ("\n".join(lines) + "\n").encode()


def security_prompts(rng: random.Random, count: int) -> bytes:
    lines = []
    for _ in range(count):
        question, compliant, explanation = rng.choice(_SECURITY)
        messages = [
            {
                "role": "developer",
                "content": "Answer the security questionnaire item from our policy: yes, no or needs review.",
            },
            {"role": "user", "content": question},
        ]
        lines.append(_line({"messages": messages, "compliant": compliant, "explanation": explanation}))
    return ("\n".join(lines) + "\n").encode()


STRING_CHECK_GRADER = {
    "type": "string_check",
    "name": "compliance label",
    "input": "{{sample.output_text}}",
    "reference": "{{item.compliant}}",
    "operation": "eq",
}
