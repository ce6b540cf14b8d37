/*  carc: CARC (+ group, + RARC) -> root cause, contractual, denial (see
    carc.h).

    s_codes is the table: one row per CARC in the X12 list that payers send
    to professional claims, with the category a denial work queue would
    file it under, whether it denies (the payer refuses to pay) and a short
    meaning for people reading a work item. Codes that are bookkeeping
    rather than refusals (prior payer's share, payment made to the patient,
    interest, withholds) have denies = false. s_refinements lets a remark
    code (RARC) sharpen the two catch-all reason codes, 16 and 96, and a
    few others whose remark says what was actually wrong.

    s_defaults gives each category whether it is preventable and the team
    that fixes it; s_causes holds the exceptions, by (CARC, RARC), (group,
    CARC), CARC or group, most specific first (carc_cause).

    The table stays a list read top to bottom, easier to check against the
    published list than a hash. A lookup goes through an index built from
    it once (s_find): a linear scan of its 211 rows cost ~1.4 K
    instructions a lookup, and posting an 835 looks up each adjustment of
    a claim several times (issue 19: ~6.6 K a posted claim).
*/
#include "carc.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define ELIG  CARC_ELIGIBILITY
#define AUTH  CARC_AUTHORIZATION
#define CODE  CARC_CODING
#define NECE  CARC_MEDICAL_NECESSITY
#define TIME  CARC_TIMELY_FILING
#define DUPL  CARC_DUPLICATE
#define INFO  CARC_MISSING_INFORMATION
#define NCOV  CARC_NON_COVERED
#define PROV  CARC_PROVIDER
#define CONT  CARC_CONTRACTUAL
#define PATR  CARC_PATIENT_RESPONSIBILITY
#define OTHR  CARC_OTHER

static const struct {
    const char *code;
    carc_category_t category;
    bool denies;
    const char *description;
} s_codes [] = {
    { "1",   PATR, false, "Deductible amount" },
    { "2",   PATR, false, "Coinsurance amount" },
    { "3",   PATR, false, "Co-payment amount" },
    { "4",   CODE, true,  "Procedure code inconsistent with the modifier, or a required modifier is missing" },
    { "5",   CODE, true,  "Procedure code / type of bill inconsistent with the place of service" },
    { "6",   CODE, true,  "Procedure / revenue code inconsistent with the patient's age" },
    { "7",   CODE, true,  "Procedure / revenue code inconsistent with the patient's gender" },
    { "8",   PROV, true,  "Procedure code inconsistent with the provider type / specialty (taxonomy)" },
    { "9",   CODE, true,  "Diagnosis inconsistent with the patient's age" },
    { "10",  CODE, true,  "Diagnosis inconsistent with the patient's gender" },
    { "11",  CODE, true,  "Diagnosis inconsistent with the procedure" },
    { "12",  CODE, true,  "Diagnosis inconsistent with the provider type" },
    { "13",  ELIG, true,  "Date of death precedes the date of service" },
    { "14",  ELIG, true,  "Date of birth follows the date of service" },
    { "15",  AUTH, true,  "Authorization number missing, invalid, or does not apply" },
    { "16",  INFO, true,  "Claim / service lacks information or has submission / billing errors" },
    { "18",  DUPL, true,  "Exact duplicate claim / service" },
    { "19",  OTHR, true,  "Work-related injury / illness: liability of the workers' compensation carrier" },
    { "20",  OTHR, true,  "Injury / illness covered by the liability carrier" },
    { "21",  OTHR, true,  "Injury / illness the liability of the no-fault carrier" },
    { "22",  OTHR, true,  "May be covered by another payer per coordination of benefits" },
    { "23",  OTHR, false, "Impact of prior payer(s) adjudication, including payments and adjustments" },
    { "24",  CONT, false, "Charges covered under a capitation agreement / managed care plan" },
    { "26",  ELIG, true,  "Expenses incurred prior to coverage" },
    { "27",  ELIG, true,  "Expenses incurred after coverage terminated" },
    { "29",  TIME, true,  "The time limit for filing has expired" },
    { "31",  ELIG, true,  "Patient cannot be identified as our insured" },
    { "32",  ELIG, true,  "Patient is not an eligible dependent" },
    { "33",  ELIG, true,  "Insured has no dependent coverage" },
    { "34",  ELIG, true,  "Insured has no coverage for newborns" },
    { "35",  NCOV, true,  "Lifetime benefit maximum has been reached" },
    { "39",  AUTH, true,  "Services denied at the time authorization / pre-certification was requested" },
    { "40",  NECE, true,  "Charges do not meet qualifications for emergent / urgent care" },
    { "42",  CONT, false, "Charges exceed our fee schedule or maximum allowable amount" },
    { "44",  CONT, false, "Prompt-pay discount" },
    { "45",  CONT, false, "Charge exceeds fee schedule / maximum allowable or contracted / legislated fee arrangement" },
    { "49",  NCOV, true,  "Routine / preventive service not covered" },
    { "50",  NECE, true,  "Non-covered: not deemed a medical necessity by the payer" },
    { "51",  NCOV, true,  "Non-covered: pre-existing condition" },
    { "53",  NCOV, true,  "Services by an immediate relative or member of the same household are not covered" },
    { "54",  NCOV, true,  "Multiple physicians / assistants are not covered in this case" },
    { "55",  NCOV, true,  "Procedure / treatment / drug is deemed experimental / investigational" },
    { "56",  NECE, true,  "Procedure / treatment has not been deemed proven to be effective" },
    { "58",  CODE, true,  "Treatment deemed rendered in an inappropriate or invalid place of service" },
    { "59",  CONT, false, "Processed based on multiple or concurrent procedure rules" },
    { "60",  NCOV, true,  "Outpatient services not covered within the period around inpatient services" },
    { "61",  AUTH, true,  "Adjusted for failure to obtain a second surgical opinion" },
    { "66",  PATR, false, "Blood deductible" },
    { "85",  OTHR, false, "Patient interest adjustment" },
    { "89",  OTHR, false, "Professional fees removed from charges" },
    { "90",  OTHR, false, "Ingredient cost adjustment" },
    { "94",  OTHR, false, "Processed in excess of charges" },
    { "95",  AUTH, true,  "Plan procedures not followed" },
    { "96",  NCOV, true,  "Non-covered charge(s)" },
    { "97",  CODE, true,  "Benefit included in the payment / allowance for another service already adjudicated" },
    { "100", OTHR, false, "Payment made to the patient / insured / responsible party" },
    { "101", OTHR, false, "Predetermination: anticipated payment upon completion of services" },
    { "102", OTHR, false, "Major medical adjustment" },
    { "103", CONT, false, "Provider promotional discount" },
    { "104", CONT, false, "Managed care withholding" },
    { "105", OTHR, false, "Tax withholding" },
    { "106", ELIG, true,  "Patient payment option / election not in effect" },
    { "107", INFO, true,  "The related or qualifying claim / service was not identified on this claim" },
    { "108", NCOV, true,  "Rent / purchase guidelines were not met" },
    { "109", ELIG, true,  "Not covered by this payer / contractor: send to the correct payer" },
    { "110", CODE, true,  "Billing date predates the service date" },
    { "111", PROV, true,  "Not covered unless the provider accepts assignment" },
    { "112", INFO, true,  "Service not furnished directly to the patient and / or not documented" },
    { "114", NCOV, true,  "Procedure / product not approved by the FDA" },
    { "115", OTHR, true,  "Procedure postponed, canceled, or delayed" },
    { "116", PROV, true,  "Advance indemnification notice signed by the patient did not comply with requirements" },
    { "117", NCOV, true,  "Transportation is only covered to the closest facility that can provide the care" },
    { "118", OTHR, false, "ESRD network support adjustment" },
    { "119", NCOV, true,  "Benefit maximum for this time period or occurrence has been reached" },
    { "121", OTHR, false, "Indemnification adjustment: compensation for outstanding member responsibility" },
    { "122", NCOV, true,  "Psychiatric reduction" },
    { "125", INFO, true,  "Submission / billing error(s)" },
    { "128", NCOV, true,  "Newborn's services are covered in the mother's allowance" },
    { "129", OTHR, true,  "Prior processing information appears incorrect" },
    { "130", OTHR, false, "Claim submission fee" },
    { "131", CONT, false, "Claim specific negotiated discount" },
    { "132", OTHR, false, "Prearranged demonstration project adjustment" },
    { "133", OTHR, false, "The disposition of this service line is pending further review" },
    { "134", OTHR, false, "Technical fees removed from charges" },
    { "135", OTHR, true,  "Interim bills cannot be processed" },
    { "136", OTHR, true,  "Failure to follow the prior payer's coverage rules" },
    { "137", OTHR, false, "Regulatory surcharges, assessments, allowances or health related taxes" },
    { "138", TIME, true,  "Appeal procedures not followed or time limits not met" },
    { "139", CONT, false, "Contracted funding agreement: subscriber is employed by the provider" },
    { "140", ELIG, true,  "Patient / insured health identification number and name do not match" },
    { "142", PATR, false, "Monthly Medicaid patient liability amount" },
    { "144", OTHR, false, "Incentive adjustment" },
    { "146", CODE, true,  "Diagnosis was invalid for the date(s) of service reported" },
    { "147", PROV, true,  "Provider contracted / negotiated rate expired or not on file" },
    { "148", INFO, true,  "Information from another provider was not provided or was insufficient / incomplete" },
    { "149", NCOV, true,  "Lifetime benefit maximum has been reached for this service / benefit category" },
    { "150", NECE, true,  "Information submitted does not support this level of service" },
    { "151", NECE, true,  "Information submitted does not support this many / frequency of services" },
    { "152", NECE, true,  "Information submitted does not support this length of service" },
    { "153", NECE, true,  "Information submitted does not support this dosage" },
    { "154", NECE, true,  "Information submitted does not support this day's supply" },
    { "155", OTHR, true,  "Patient refused the service / procedure" },
    { "157", NCOV, true,  "Service / procedure was provided as a result of an act of war" },
    { "158", NCOV, true,  "Service / procedure was provided outside of the United States" },
    { "159", NCOV, true,  "Service / procedure was provided as a result of terrorism" },
    { "160", NCOV, true,  "Injury / illness was the result of an activity that is a benefit exclusion" },
    { "161", OTHR, false, "Provider performance bonus" },
    { "163", INFO, true,  "Attachment / other documentation referenced on the claim was not received" },
    { "164", INFO, true,  "Attachment / other documentation referenced on the claim was not received in a timely fashion" },
    { "165", AUTH, true,  "Referral absent or exceeded" },
    { "166", ELIG, true,  "Submitted after this payer's responsibility for processing claims under this plan ended" },
    { "167", CODE, true,  "This (these) diagnosis(es) is (are) not covered" },
    { "170", PROV, true,  "Payment is denied when performed / billed by this type of provider" },
    { "171", PROV, true,  "Payment is denied when performed / billed by this type of provider in this type of facility" },
    { "172", PROV, true,  "Payment is adjusted when performed / billed by a provider of this specialty" },
    { "173", NECE, true,  "Service / equipment was not prescribed by a physician" },
    { "174", NECE, true,  "Service was not prescribed prior to delivery" },
    { "175", INFO, true,  "Prescription is incomplete" },
    { "176", INFO, true,  "Prescription is not current" },
    { "177", ELIG, true,  "Patient has not met the required eligibility requirements" },
    { "178", ELIG, true,  "Patient has not met the required spend down requirements" },
    { "179", ELIG, true,  "Patient has not met the required waiting requirements" },
    { "180", ELIG, true,  "Patient has not met the required residency requirements" },
    { "181", CODE, true,  "Procedure code was invalid on the date of service" },
    { "182", CODE, true,  "Procedure modifier was invalid on the date of service" },
    { "183", PROV, true,  "The referring provider is not eligible to refer the service billed" },
    { "184", PROV, true,  "The prescribing / ordering provider is not eligible to prescribe / order the service billed" },
    { "185", PROV, true,  "The rendering provider is not eligible to perform the service billed" },
    { "186", NECE, true,  "Level of care change adjustment" },
    { "187", PATR, false, "Consumer spending account payments (FSA, HSA, HRA ...)" },
    { "188", NCOV, true,  "Product / procedure is only covered when used according to FDA recommendations" },
    { "189", CODE, true,  "Not otherwise classified or unlisted procedure code billed when a specific code exists" },
    { "190", NCOV, true,  "Payment is included in the allowance for a skilled nursing facility stay" },
    { "192", OTHR, true,  "Non standard adjustment code from paper remittance" },
    { "193", OTHR, false, "Original payment decision is being maintained upon review" },
    { "194", CODE, true,  "Anesthesia performed by the operating physician, the assistant surgeon or the attending physician" },
    { "195", OTHR, false, "Refund issued to an erroneous priority payer for this claim / service" },
    { "196", OTHR, true,  "Claim / service denied based on the prior payer's coverage determination" },
    { "197", AUTH, true,  "Precertification / notification / authorization / pre-treatment absent" },
    { "198", AUTH, true,  "Precertification / notification / authorization / pre-treatment exceeded" },
    { "199", CODE, true,  "Revenue code and procedure code do not match" },
    { "200", ELIG, true,  "Expenses incurred during a lapse in coverage" },
    { "201", PATR, false, "Patient is responsible for this amount through a set-aside arrangement" },
    { "202", NCOV, true,  "Non-covered personal comfort or convenience services" },
    { "203", OTHR, true,  "Discontinued or reduced service" },
    { "204", NCOV, true,  "Service / equipment / drug is not covered under the patient's current benefit plan" },
    { "206", INFO, true,  "National Provider Identifier missing" },
    { "207", PROV, true,  "National Provider Identifier invalid" },
    { "208", PROV, true,  "National Provider Identifier not matched" },
    { "209", OTHR, false, "Per regulatory or other agreement, the provider cannot collect this amount from the patient" },
    { "210", AUTH, true,  "Pre-certification / authorization not received in a timely fashion" },
    { "211", NCOV, true,  "National Drug Codes (NDC) not eligible for rebate are not covered" },
    { "212", NCOV, true,  "Administrative surcharges are not covered" },
    { "213", PROV, true,  "Non-compliance with the physician self referral prohibition legislation or payer policy" },
    { "215", OTHR, false, "Based on subrogation of a third party settlement" },
    { "216", NECE, true,  "Based on the findings of a review organization" },
    { "219", NECE, true,  "Based on extent of injury" },
    { "222", NCOV, true,  "Exceeds the contracted maximum number of hours / days / units for this provider" },
    { "223", OTHR, false, "Adjustment for a mandated federal, state or local law / regulation" },
    { "224", ELIG, true,  "Patient identification compromised by identity theft" },
    { "225", OTHR, false, "Penalty or interest payment by the payer" },
    { "226", INFO, true,  "Information requested from the billing / rendering provider was not provided or was insufficient" },
    { "227", INFO, true,  "Information requested from the patient / insured / responsible party was not provided" },
    { "228", INFO, true,  "Denied for failure to supply requested information to a previous payer" },
    { "231", CODE, true,  "Mutually exclusive procedures cannot be done in the same day / setting" },
    { "233", NCOV, true,  "Services / charges related to a hospital-acquired condition or preventable medical error" },
    { "234", CODE, true,  "This procedure is not paid separately" },
    { "235", OTHR, false, "Sales tax" },
    { "236", CODE, true,  "Procedure or procedure / modifier combination not compatible with another on the same day (NCCI)" },
    { "237", OTHR, false, "Legislated / regulatory penalty" },
    { "238", ELIG, true,  "Claim spans eligible and ineligible periods of coverage: reduction for the ineligible period" },
    { "239", ELIG, true,  "Claim spans eligible and ineligible periods of coverage: rebill separate claims" },
    { "240", CODE, true,  "Diagnosis inconsistent with the patient's birth weight" },
    { "241", PATR, false, "Low income subsidy (LIS) co-payment amount" },
    { "242", PROV, true,  "Services not provided by network / primary care providers" },
    { "243", AUTH, true,  "Services not authorized by network / primary care providers" },
    { "245", CONT, false, "Provider performance program withhold" },
    { "246", OTHR, false, "This non-payable code is for required reporting only" },
    { "247", PATR, false, "Deductible for a professional service rendered in an institutional setting" },
    { "248", PATR, false, "Coinsurance for a professional service rendered in an institutional setting" },
    { "249", NECE, true,  "This claim has been identified as a readmission" },
    { "250", INFO, true,  "The attachment / other documentation received was the incorrect one" },
    { "251", INFO, true,  "The attachment / other documentation received was incomplete or deficient" },
    { "252", INFO, true,  "An attachment / other documentation is required to adjudicate this claim / service" },
    { "253", CONT, false, "Sequestration: reduction in federal payment" },
    { "254", ELIG, true,  "Received by the dental plan but benefits are under the medical plan" },
    { "256", NCOV, true,  "Service not payable per managed care contract" },
    { "257", ELIG, true,  "Disposition undetermined during the premium payment grace period" },
    { "258", ELIG, true,  "Not covered when the patient is in custody / incarcerated" },
    { "A0",  OTHR, false, "Patient refund amount" },
    { "A1",  OTHR, true,  "Claim / service denied" },
    { "A5",  OTHR, false, "Medicare claim PPS capital cost outlier amount" },
    { "A6",  NECE, true,  "Prior hospitalization or 30 day transfer requirement not met" },
    { "A7",  OTHR, false, "Presumptive payment adjustment" },
    { "A8",  CODE, true,  "Ungroupable DRG" },
    { "B1",  NCOV, true,  "Non-covered visits" },
    { "B4",  TIME, true,  "Late filing penalty" },
    { "B5",  NCOV, true,  "Coverage / program guidelines were not met or were exceeded" },
    { "B7",  PROV, true,  "Provider was not certified / eligible to be paid for this procedure / service on this date" },
    { "B8",  NECE, true,  "Alternative services were available and should have been utilized" },
    { "B9",  ELIG, true,  "Patient is enrolled in a hospice" },
    { "B10", CODE, true,  "Allowed amount reduced because a component of the basic procedure / test was paid" },
    { "B11", ELIG, true,  "Claim / service transferred to the proper payer / processor" },
    { "B12", INFO, true,  "Services not documented in the patient's medical records" },
    { "B13", DUPL, true,  "Previously paid: payment may have been provided in a previous payment" },
    { "B14", CODE, true,  "Only one visit or consultation per physician per day is covered" },
    { "B15", CODE, true,  "Requires that a qualifying service / procedure be received and covered" },
    { "B16", CODE, true,  "'New patient' qualifications were not met" },
    { "B20", DUPL, true,  "Procedure / service was partially or fully furnished by another provider" },
    { "B22", CODE, true,  "This payment is adjusted based on the diagnosis" },
    { "B23", PROV, true,  "Procedure billed is not authorized per your CLIA proficiency test" },
};

//  Where the remark code says more than the reason code.
static const struct {
    const char *carc;
    const char *rarc;
    carc_category_t category;
} s_refinements [] = {
    { "16",  "M51",   CODE },   //  missing / invalid procedure code(s)
    { "16",  "M76",   CODE },   //  missing / invalid diagnosis or condition
    { "16",  "M119",  CODE },   //  missing / invalid NDC
    { "16",  "M77",   CODE },   //  missing / invalid place of service
    { "16",  "MA130", INFO },   //  incomplete / invalid information: resubmit
    { "16",  "N290",  PROV },   //  missing / invalid rendering provider identifier
    { "16",  "N286",  PROV },   //  missing / invalid referring provider identifier
    { "16",  "N265",  PROV },   //  missing / invalid ordering provider identifier
    { "16",  "MA120", PROV },   //  missing / invalid CLIA certification number
    { "16",  "MA04",  OTHR },   //  secondary payment needs the primary payer's information
    { "16",  "MA61",  ELIG },   //  missing / invalid social security number or HICN
    { "16",  "N382",  ELIG },   //  missing / invalid patient identifier
    { "16",  "MA27",  ELIG },   //  missing / invalid entitlement number or name
    { "16",  "N54",   AUTH },   //  claim information inconsistent with pre-certified / authorized services
    { "96",  "N425",  NECE },   //  statutorily excluded service
    { "96",  "N115",  NECE },   //  decision based on a local coverage determination (LCD)
    { "97",  "M80",   CODE },   //  not covered when performed during the same session as another service
    { "125", "M51",   CODE },
    { "125", "N290",  PROV },
    { "204", "N115",  NECE },
};

static const char *s_category_names [CARC_CATEGORIES] = {
    [CARC_ELIGIBILITY]            = "eligibility",
    [CARC_AUTHORIZATION]          = "authorization",
    [CARC_CODING]                 = "coding",
    [CARC_MEDICAL_NECESSITY]      = "medical_necessity",
    [CARC_TIMELY_FILING]          = "timely_filing",
    [CARC_DUPLICATE]              = "duplicate",
    [CARC_MISSING_INFORMATION]    = "missing_information",
    [CARC_NON_COVERED]            = "non_covered",
    [CARC_PROVIDER]               = "provider",
    [CARC_CONTRACTUAL]            = "contractual",
    [CARC_PATIENT_RESPONSIBILITY] = "patient_responsibility",
    [CARC_OTHER]                  = "other",
};

#define FRONT CARC_TEAM_FRONT_DESK
#define CODER CARC_TEAM_CODING
#define BILL  CARC_TEAM_BILLING
#define PAYER CARC_TEAM_PAYER

//  What a category usually means for the work: a denial a check before
//  submission would have caught is preventable; the team is who fixes it.
static const struct {
    bool preventable;
    carc_team_t team;
} s_defaults [CARC_CATEGORIES] = {
    [CARC_ELIGIBILITY]            = { true,  FRONT },   //  verify coverage at check-in
    [CARC_AUTHORIZATION]          = { true,  FRONT },   //  get the authorization before the visit
    [CARC_CODING]                 = { true,  CODER },
    [CARC_MEDICAL_NECESSITY]      = { true,  CODER },   //  documentation, LCD / NCD diagnosis, ABN
    [CARC_TIMELY_FILING]          = { true,  BILL  },
    [CARC_DUPLICATE]              = { true,  BILL  },
    [CARC_MISSING_INFORMATION]    = { true,  BILL  },
    [CARC_NON_COVERED]            = { false, BILL  },   //  the plan's benefit: appeal or bill the patient
    [CARC_PROVIDER]               = { true,  BILL  },   //  enrollment, credentialing, NPI on file
    [CARC_CONTRACTUAL]            = { false, BILL  },
    [CARC_PATIENT_RESPONSIBILITY] = { false, BILL  },
    [CARC_OTHER]                  = { false, BILL  },
};

//  Where a code, group or remark changes the answer. NULL matches any.
//  Rows are tried most specific first (a row naming CARC and RARC, then
//  group and CARC, then CARC, then group), whatever their order here.
static const struct {
    const char *group;
    const char *carc;
    const char *rarc;
    bool preventable;
    carc_team_t team;
} s_causes [] = {
    { NULL, "22",  NULL,   true,  FRONT },  //  other coverage: ask at check-in (COB)
    { NULL, "19",  NULL,   true,  FRONT },  //  workers' comp: ask how the injury happened
    { NULL, "20",  NULL,   true,  FRONT },
    { NULL, "21",  NULL,   true,  FRONT },
    { NULL, "109", NULL,   true,  FRONT },  //  sent to the wrong payer
    { NULL, "16",  "MA04", true,  FRONT },  //  secondary claim without the primary's answer
    { NULL, "96",  "N425", false, FRONT },  //  statutorily excluded: an ABN lets the patient be billed
    { NULL, "129", NULL,   false, PAYER },  //  prior processing information incorrect
    { NULL, "133", NULL,   false, PAYER },  //  pending the payer's review
    { NULL, "193", NULL,   false, PAYER },  //  original decision maintained on review
    { NULL, "A1",  NULL,   false, PAYER },  //  a bare denial with nothing to fix
    { "PI", NULL,  NULL,   false, PAYER },  //  payer initiated reduction: the payer's to explain
    //  The patient's share is billed to the patient, not fixed by anyone:
    //  PR-50 after a signed ABN is the process working.
    { "PR", NULL,  NULL,   false, BILL  },
};

static const char *s_team_names [CARC_TEAMS] = {
    [CARC_TEAM_FRONT_DESK] = "front_desk",
    [CARC_TEAM_CODING]     = "coding",
    [CARC_TEAM_BILLING]    = "billing",
    [CARC_TEAM_PAYER]      = "payer",
};

//  The row of a CARC, or -1: the first row whose code is carc.
static int
s_scan (const char *carc)
{
    for (size_t i = 0; i < sizeof s_codes / sizeof s_codes [0]; i++)
        if (strcmp (s_codes [i].code, carc) == 0)
            return (int) i;
    return -1;
}

//  s_find's index: a code's key (s_key) -> its first row + 1 (0: none).
//  CARCs are numbers of up to three digits ("1" .. "299") or a letter
//  and up to two digits ("A1", "B22").
#define S_KEYS (1000 + 26 * 100)
static int16_t s_rows [S_KEYS];
static pthread_once_t s_rows_once = PTHREAD_ONCE_INIT;

//  The key of a code in either form, -1 for any other text.
static int
s_key (const char *code)
{
    int at = 0, base = 0, most = 3;
    if (code [0] >= 'A' && code [0] <= 'Z') {
        base = 1000 + (code [0] - 'A') * 100;
        at = 1;
        most = 2;
    }
    int value = 0, digits = 0;
    for (; code [at] >= '0' && code [at] <= '9'; at++) {
        if (++digits > most)
            return -1;
        value = value * 10 + (code [at] - '0');
    }
    return code [at] || digits == 0? -1: base + value;
}

static void
s_index_rows (void)
{
    for (size_t i = 0; i < sizeof s_codes / sizeof s_codes [0]; i++) {
        int key = s_key (s_codes [i].code);
        if (key >= 0 && !s_rows [key])
            s_rows [key] = (int16_t) (i + 1);
    }
}

//  The row of a CARC, or -1, as s_scan finds it: equal codes have equal
//  keys, so an empty slot means no row; a row under the key whose code is
//  another spelling of it ("01" for "1") leaves the answer to s_scan.
static int
s_find (const char *carc)
{
    pthread_once (&s_rows_once, s_index_rows);
    int key = s_key (carc);
    if (key < 0)
        return s_scan (carc);
    int row = s_rows [key] - 1;
    if (row < 0)
        return -1;
    return strcmp (s_codes [row].code, carc) == 0? row: s_scan (carc);
}

//  Whether some refinement is of this CARC (most are not: the remark
//  codes need not be compared).
static bool
s_refined (const char *carc)
{
    for (size_t j = 0; j < sizeof s_refinements / sizeof s_refinements [0]; j++)
        if (strcmp (s_refinements [j].carc, carc) == 0)
            return true;
    return false;
}

static bool
s_group_is (const char *group, const char *code)
{
    return group && strcmp (group, code) == 0;
}

carc_category_t
carc_category (const char *group, const char *carc, char *const *rarcs, size_t n_rarcs)
{
    assert (carc);
    int row = s_find (carc);
    carc_category_t category = row < 0? CARC_OTHER: s_codes [row].category;
    bool refined = n_rarcs && s_refined (carc);
    for (size_t i = 0; refined && i < n_rarcs; i++)
        for (size_t j = 0; j < sizeof s_refinements / sizeof s_refinements [0]; j++)
            if (strcmp (s_refinements [j].carc, carc) == 0 && strcmp (s_refinements [j].rarc, rarcs [i]) == 0)
                return s_refinements [j].category;
    //  A fee-schedule reduction billed to the patient (PR-45 from an out of
    //  network payer) is the patient's to pay, not a contractual write-off.
    if (category == CARC_CONTRACTUAL && s_group_is (group, "PR"))
        return CARC_PATIENT_RESPONSIBILITY;
    return category;
}

const char *
carc_category_name (carc_category_t category)
{
    if ((int) category < 0 || category >= CARC_CATEGORIES)
        return s_category_names [CARC_OTHER];
    return s_category_names [category];
}

int
carc_category_from_name (const char *text)
{
    assert (text);
    for (int i = 0; i < CARC_CATEGORIES; i++)
        if (strcmp (s_category_names [i], text) == 0)
            return i;
    return -1;
}

bool
carc_is_contractual (const char *group, const char *carc)
{
    assert (carc);
    if (!s_group_is (group, "CO"))
        return false;
    int row = s_find (carc);
    return row >= 0 && s_codes [row].category == CARC_CONTRACTUAL;
}

bool
carc_denies (const char *group, const char *carc)
{
    assert (carc);
    if (s_group_is (group, "PR") || carc_is_contractual (group, carc))
        return false;
    int row = s_find (carc);
    return row < 0 || s_codes [row].denies;
}

const char *
carc_description (const char *carc)
{
    assert (carc);
    int row = s_find (carc);
    return row < 0? NULL: s_codes [row].description;
}

static bool
s_has_rarc (const char *rarc, char *const *rarcs, size_t n_rarcs)
{
    for (size_t i = 0; i < n_rarcs; i++)
        if (strcmp (rarcs [i], rarc) == 0)
            return true;
    return false;
}

//  How specific a row of s_causes is when it matches (0: it does not).
static int
s_cause_rank (size_t row, const char *group, const char *carc, char *const *rarcs, size_t n_rarcs)
{
    if (s_causes [row].carc && strcmp (s_causes [row].carc, carc) != 0)
        return 0;
    if (s_causes [row].group && !s_group_is (group, s_causes [row].group))
        return 0;
    if (s_causes [row].rarc && !s_has_rarc (s_causes [row].rarc, rarcs, n_rarcs))
        return 0;
    if (s_causes [row].rarc)
        return 4;
    if (s_causes [row].group && s_causes [row].carc)
        return 3;
    return s_causes [row].carc? 2: 1;
}

carc_cause_t
carc_cause (const char *group, const char *carc, char *const *rarcs, size_t n_rarcs)
{
    assert (carc);
    carc_cause_t cause;
    cause.category = carc_category (group, carc, rarcs, n_rarcs);
    cause.known = s_find (carc) >= 0;
    cause.preventable = cause.known && s_defaults [cause.category].preventable;
    cause.team = s_defaults [cause.category].team;
    int best = 0;
    for (size_t i = 0; i < sizeof s_causes / sizeof s_causes [0]; i++) {
        int rank = s_cause_rank (i, group, carc, rarcs, n_rarcs);
        if (rank > best) {
            best = rank;
            cause.preventable = s_causes [i].preventable;
            cause.team = s_causes [i].team;
        }
    }
    return cause;
}

void
carc_category_cause (carc_category_t category, bool *preventable, carc_team_t *team)
{
    if ((int) category < 0 || category >= CARC_CATEGORIES)
        category = CARC_OTHER;
    *preventable = s_defaults [category].preventable;
    *team = s_defaults [category].team;
}

const char *
carc_team_name (carc_team_t team)
{
    if ((int) team < 0 || team >= CARC_TEAMS)
        return s_team_names [CARC_TEAM_BILLING];
    return s_team_names [team];
}

int
carc_team_from_name (const char *text)
{
    assert (text);
    for (int i = 0; i < CARC_TEAMS; i++)
        if (strcmp (s_team_names [i], text) == 0)
            return i;
    return -1;
}
