"""Display labels for the evidence vocabularies, shared by the apps and the reports."""

from __future__ import annotations

PLAN_LABELS: dict[str, str] = {
    "medicare_part_b": "Original Medicare Part B",
    "medicare_advantage": "Medicare Advantage",
    "medicare_pffs": "Medicare private fee-for-service",
    "medicaid": "Medicaid",
    "hmo": "HMO",
    "ppo": "PPO",
    "indemnity": "Indemnity (fee-for-service)",
    "self_pay": "Self-pay (no insurance)",
}

MODALITY_LABELS: dict[str, str] = {
    "records_review": "records review",
    "video": "video visit",
    "in_person": "in person",
    "physician_to_physician": "doctor to doctor",
    "pathology_review": "pathology review",
    "online_lookup": "online look-up",
}

ASPECT_LABELS: dict[str, str] = {
    "second_opinion_covered": "Second opinion covered",
    "third_opinion_if_differ": "Third opinion if the first two differ",
    "referral_required": "Referral required",
    "preauthorization_required": "Prior authorisation required",
    "in_network_required": "In-network doctor required",
    "out_of_network_covered": "Out-of-network opinion covered",
    "remote_records_only_covered": "Remote records-only opinion covered",
    "cost_sharing": "Cost sharing",
    "coinsurance_pct": "Coinsurance",
    "good_faith_estimate": "Good Faith Estimate (dispute threshold, $)",
}

#: How a service is paid for (``providers.payment``), as a reader would say it.
PAYMENT_LABELS: dict[str, str] = {
    "billable_visit": "billed to insurance",
    "records_review": "records review",
    "cash_service": "cash service",
    "member_benefit": "member benefit",
    "free_service": "free",
    "lookup": "look-up service",
}

#: What a cost estimate says about coverage (``OutOfPocket.status``).
STATUS_LABELS: dict[str, str] = {
    "covered": "covered",
    "not_covered": "not covered",
    "not_billed": "not billed to insurance",
    "member_benefit": "free to members",
    "free": "free",
    "lookup": "not insurance",
    "unknown": "depends on your plan",
}
