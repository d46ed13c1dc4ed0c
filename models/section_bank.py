"""Our own sentence bank for the section model's training reports: chest radiograph indications,
comparisons, findings and impressions, written here (no corpus text), and `Writer`, which draws one
report's four sections from it.

The bank is compositional: findings are drawn per structure (lungs, pleura, heart and mediastinum,
bones, devices, other) in normal and abnormal forms; the impression restates abnormal findings,
summarises a normal study, or does both, sometimes as a numbered list, sometimes in words that
also occur in findings ("Clear lungs."), so that position and paragraph, not the words alone, tell
the sections apart. Findings sentences may mention a prior study ("unchanged since the prior") and
indications may mention symptoms of the lungs, so no single cue word decides a unit. De-identified
placeholders (XXXX, ___, [**...**]) stand in for dates and masked words, as exports write them.
"""

from __future__ import annotations

import random

NAMES = ("indication", "comparison", "findings", "impression")
Gold = dict[str, str]

SEX = (("male", "M"), ("female", "F"), ("man", "M"), ("woman", "F"), ("patient", ""), ("boy", "M"), ("girl", "F"))
AGES = ("{n}-year-old {sex}", "{n} year old {sex}", "{n}yo {s}", "{n} y/o {s}", "{n}-year-old", "{n}{s}",
        "XXXX-year-old {sex}", "{n} yo {sex}", "Age {n}, {sex}")
COMPLAINTS = (
    "cough", "shortness of breath", "fever", "chest pain", "productive cough", "hypoxia", "dyspnea", "wheezing",
    "hemoptysis", "pleuritic chest pain", "weakness", "a fall", "sepsis", "tachycardia", "abdominal pain", "syncope",
    "chills", "night sweats", "weight loss", "palpitations", "fatigue", "altered mental status", "rib pain",
    "low oxygen saturation", "leukocytosis", "SOB", "CP", "dyspnea on exertion", "left sided chest pain",
    "right chest wall pain", "cough and congestion", "worsening edema", "bilateral leg swelling", "nausea",
    "vomiting", "dizziness", "back pain", "flank pain", "sore throat", "headache", "confusion", "lethargy",
    "a motor vehicle accident", "blunt chest trauma", "stab wound", "cough for 3 weeks",
    "persistent cough", "orthopnea", "an abnormal ECG", "elevated troponin", "hypotension", "respiratory distress",
)
HISTORIES = ("CHF", "COPD", "asthma", "lung cancer", "breast cancer", "pneumonia", "tuberculosis", "smoking", "HIV",
             "sarcoidosis", "hypertension", "diabetes", "renal failure", "CABG", "lymphoma", "PE", "coronary disease",
             "atrial fibrillation", "end stage renal disease", "cirrhosis", "prostate cancer", "melanoma",
             "pulmonary fibrosis", "sickle cell disease", "aortic valve replacement", "lupus", "stroke", "DVT")
REASONS = (
    "Rule out pneumonia.", "Preoperative evaluation.", "Evaluate for pneumothorax.", "Line placement.",
    "Follow-up of pneumonia.", "Evaluate for effusion.", "Screening.", "Status post chest tube removal.",
    "Assess tube position.", "Positive PPD.", "Trauma.", "R/O infiltrate.", "Eval for CHF.",
    "Pre-employment screening.",
    "Check NG tube placement.", "Immigration exam.", "Post procedure.", "Evaluate for interval change.",
    "Question aspiration.", "Known pneumonia, assess response.", "Preop.", "Pre-op exam.",
    "PICC placement.", "Evaluate for rib fracture.", "r/o pna", "eval infiltrate", "Routine physical.",
    "Annual exam.", "Pre-transplant evaluation.", "Check ETT.", "Post intubation.", "Dobhoff placement.",
    "Assess for edema.", "Evaluate for mass.", "Recheck effusion.", "Work physical.", "Chest tube check.",
)
INDICATION_FORMS = (
    "{age} with {c}.", "{age} with {c} and {c2}.", "{C}.", "{C} and {c2}.", "{R}", "{age}. {R}",
    "History of {h}. {R}", "{C}, history of {h}.", "{age} with history of {h}, now with {c}.", "{C} x 3 days.",
    "{age} presenting with {c}. {R}", "Pt with {c}.", "{C}? {R}", "{H} with {c}.", "{age}, {c}",
    "{R} {age} with {c}.", "Patient with {c} for two weeks.", "{C}; r/o pneumonia.", "{age} smoker with {c}.",
    "{c}", "{C}", "{c}, {c2}", "{C}, {c2}, history of {h}", "{h}", "{H}.", "{C}. {C2}.", "{age} {c}",
    "{C} for {k} days. History of {h}.", "{C} and {c2}. No history of {h}.", "{age} with {h}. {C}.",
    "{C}. History of {h}. {R}", "{age} with {c}, {c2} and history of {h}.", "{C} after {event}.",
    "{age} status post {event}.", "s/p {event}, {c}", "{C}, non-smoker", "{C}. Former smoker.",
    "{C} since {when}.", "{age} here for {r}.", "{R} History of {h}.", "Follow up {h}.", "{H}, {c}.",
    "{C} with {c2} for {k} weeks, no fever.", "{age} with {c}. Evaluate for {dx}.", "Evaluate {dx}.",
    "{C}. Concern for {dx}.", "Worsening {c} in a patient with {h}.", "{C} in patient with {h}.",
    "{C}, XXXX XXXX", "{C} after XXXX", "{age} with XXXX.", "XXXX with {c}.",
)
EVENTS = ("a fall", "CABG", "chest tube removal", "line placement", "thoracentesis", "bronchoscopy", "intubation",
          "a motor vehicle collision", "pacemaker placement", "lobectomy", "central line placement", "surgery")
WHENS = ("yesterday", "last night", "this morning", "2 days", "one week", "XXXX")
DXS = ("pneumonia", "effusion", "pneumothorax", "edema", "infiltrate", "mass", "fracture", "CHF", "aspiration",
       "malignancy", "TB", "free air")
DATES = ("01/14/2019", "3/2/21", "March 4, 2018", "2017-11-30", "XXXX", "XXXX, XXXX", "___", "[**2150-3-2**]",
         "12/09/2020", "yesterday", "last week", "June 2016", "08-JUL-2015", "10/01/2022 at 09:12", "XXXX XXXX",
         "[**Date**]", "<DATE>", "2/5/2014", "5-10-09", "XXXX-XXXX", "XXXX, 2012", "the same day")
COMPARISON_FORMS = (
    "None.", "None", "None available.", "No prior studies.", "{date}.", "Chest radiograph {date}.",
    "Prior study from {date}.", "PA and lateral chest {date}.", "Comparison is made to {date}.",
    "Compared with the radiograph of {date}.", "Prior chest x-ray dated {date}.", "CT chest {date}.",
    "{date} and {date2}.", "Outside films from {date}.", "Previous exam {date}.", "Multiple prior studies.",
    "No previous examinations available for comparison.", "The prior study of {date} is reviewed.", "{date}",
    "Chest x-ray {date}", "PA and lateral views of the chest {date}.",
    "Radiograph from {date} and CT from {date2}.", "There are no prior studies.",
    "No prior.", "None on file.", "Not available.", "Prior radiographs {date}.", "Portable chest {date}.",
    "Comparison: {date}.", "Frontal and lateral chest radiograph {date}.", "CXR {date}", "Prior CXR {date}.",
    "Multiple prior chest radiographs, most recent {date}.", "Prior CT abdomen {date}.", "PA/lat {date}",
    "Previous chest radiograph of {date} is available for comparison.", "None. ", "No comparison studies.",
)
NORMAL = {
    "lungs": (
        "The lungs are clear.", "Lungs are clear bilaterally.", "No focal consolidation.", "No focal airspace opacity.",
        "The lungs are well expanded and clear.", "Clear lungs.", "No focal airspace disease is seen.",
        "There is no consolidation, effusion or edema.", "Lungs are hyperexpanded but clear.", "No infiltrate.",
        "Lung volumes are normal.", "The lungs are clear without focal infiltrate.", "No focal lung opacity.",
        "Lungs are grossly clear.",
        "Normal pulmonary vascularity.", "Pulmonary vasculature is within normal limits.", "No pulmonary edema.",
        "The lungs are free of focal airspace disease.", "Lungs clear.", "Both lungs are clear.",
        "No evidence of pneumonia.", "No suspicious pulmonary nodules or masses.", "Lungs are normally inflated.",
        "The lungs are clear of acute infiltrates.", "There is no evidence of focal airspace consolidation.",
    ),
    "pleura": (
        "No pleural effusion or pneumothorax.", "There is no pleural effusion.", "No pneumothorax.", "No effusion.",
        "Costophrenic angles are sharp.", "No pleural abnormality.", "There is no pneumothorax.",
        "No pleural effusions.", "No effusions.", "No sizable effusion.",
        "Pleural spaces are clear.",
    ),
    "heart": (
        "The heart size is normal.", "Cardiomediastinal silhouette is within normal limits.",
        "Normal cardiac and mediastinal contours.", "Heart size is upper normal.", "Normal heart size.",
        "The cardiac silhouette is not enlarged.", "Mediastinal contours are unremarkable.",
        "Stable cardiomediastinal silhouette.", "The heart and mediastinum are normal.",
        "Heart size and pulmonary vascularity appear within normal limits.", "Normal heart and mediastinum.",
        "The cardiomediastinal silhouette and pulmonary vasculature are within normal limits.",
        "Heart size normal.", "The heart is normal in size.", "Hilar contours are normal.", "Normal mediastinal width.",
        "The trachea is midline.", "Aorta is normal in caliber.",
    ),
    "bones": (
        "No acute osseous abnormality.", "The visualized osseous structures are intact.",
        "Bony thorax is unremarkable.",
        "Degenerative changes of the spine.", "No displaced rib fracture.",
        "Osseous structures are unremarkable for age.",
        "Old healed right rib fractures.", "No acute bony abnormality.",
        "Mild degenerative changes of the thoracic spine.",
        "The bones are intact.", "Visualized bones are unremarkable.",
        "Degenerative disc disease of the thoracic spine.",
        "No acute fracture is identified.", "Osseous structures are intact.",
        "There are degenerative changes in the spine.",
    ),
    "other": (
        "Upper abdomen is unremarkable.", "No free air under the diaphragm.", "Soft tissues are normal.",
        "Surgical clips in the right upper quadrant.", "Calcified aortic knob.", "Tortuous aorta.",
        "Atherosclerotic calcification of the aortic arch.", "Cholecystectomy clips.",
        "The soft tissues are unremarkable.",
        "The diaphragm is normal.", "No subdiaphragmatic free air.", "Overlying EKG leads.", "Nipple shadows noted.",
    ),
}
ABNORMAL = (
    ("Patchy airspace opacity in the {side} lower lobe.", "{Side} lower lobe opacity, possibly pneumonia."),
    ("Small {side} pleural effusion with adjacent atelectasis.", "Small {side} pleural effusion."),
    ("The heart is mildly enlarged.", "Mild cardiomegaly."),
    ("Interstitial markings are increased with vascular congestion.", "Mild pulmonary edema."),
    ("Linear opacities at the {side} lung base.", "Bibasilar atelectasis."),
    ("A {size} mm nodule projects over the {side} upper lobe.", "{Side} upper lobe nodule; CT recommended."),
    ("Calcified granuloma in the {side} mid lung.", "Old granulomatous disease."),
    ("Hyperinflated lungs with flattened hemidiaphragms.", "Hyperinflation, consistent with COPD."),
    ("Endotracheal tube tip is {size} mm above the carina.", "Endotracheal tube in satisfactory position."),
    ("Right internal jugular catheter tip in the superior vena cava.", "Central line in good position."),
    ("Median sternotomy wires are intact.", "Postoperative changes of sternotomy."),
    ("Small {side} apical pneumothorax.", "Small {side} pneumothorax."),
    ("Moderate {side} effusion, increased since the prior.", "Enlarging {side} effusion."),
    ("Dense consolidation of the {side} upper lobe with air bronchograms.", "{Side} upper lobe pneumonia."),
    ("Nasogastric tube courses below the diaphragm.", "NG tube in the stomach."),
    ("Left chest wall pacemaker with leads in the right atrium and ventricle.", "Pacemaker in place."),
    ("Diffuse bilateral reticular opacities.", "Interstitial lung disease or atypical infection."),
    ("Elevation of the {side} hemidiaphragm.", "{Side} hemidiaphragm elevation, unchanged."),
    ("Mass in the {side} hilum measuring {size} mm.", "{Side} hilar mass, suspicious for malignancy."),
    ("Blunting of the {side} costophrenic angle.", "Trace {side} effusion or scarring."),
    ("The heart size is enlarged.", "Cardiomegaly without edema."),
    ("Streaky opacities in the lung bases.", "Bibasilar opacities, likely atelectasis."),
    ("Calcified mediastinal lymph nodes.", "Sequela of prior granulomatous disease."),
    ("There is a {side} PICC with tip in the lower SVC.", "{Side} PICC tip in the SVC."),
    ("Emphysematous changes in the upper lobes.", "Emphysema."),
    ("Scarring at the {side} apex.", "Apical scarring, unchanged."),
    ("Mildly prominent interstitial markings, unchanged from prior.", "Chronic interstitial changes."),
    ("Compression deformity of a midthoracic vertebral body.", "Thoracic compression deformity, age indeterminate."),
    ("Increased opacity in the {side} perihilar region.", "{Side} perihilar infiltrate."),
    ("Large hiatal hernia.", "Hiatal hernia."),
    ("Minimal {side} basilar atelectasis.", "Minimal atelectasis, no pneumonia."),
    ("{Side} chest tube in place without residual pneumothorax.", "No pneumothorax after chest tube placement."),
    ("Small bilateral effusions and cephalization of vessels.", "Congestive heart failure."),
    ("Aortic calcification and tortuosity.", "Atherosclerosis."),
    ("Multiple bilateral pulmonary nodules.", "Multiple pulmonary nodules, concerning for metastases."),
    ("Healed fracture of the {side} clavicle.", "Old {side} clavicle fracture."),
    ("The {side} lung base is obscured by opacity.", "{Side} basilar consolidation or effusion."),
)
NEGATIVE = (
    "No acute cardiopulmonary process.", "No acute cardiopulmonary abnormality.", "Normal chest.", "No active disease.",
    "No acute findings.", "Negative chest x-ray.", "No acute disease.", "Normal examination.",
    "No radiographic evidence of pneumonia.", "Stable chest, no acute change.", "No evidence of active tuberculosis.",
    "Unremarkable study.", "No acute cardiopulmonary disease.", "No active cardiopulmonary disease.",
"No acute pulmonary disease.", "No acute intrathoracic abnormality.", "Negative for acute abnormality.",
    "Normal chest radiograph.", "No acute cardiopulmonary findings.", "No evidence of acute disease.",
    "Heart size normal. Lungs are clear.", "Clear lungs. No acute disease.", "No pneumonia.",
    "Normal heart. Clear lungs.", "Stable appearance of the chest.", "No acute radiographic abnormality.",
    "No change from prior.", "No significant interval change.", "Unchanged from the prior study.",
    "No acute abnormality.", "Chest normal.", "No active disease in the chest.", "No evidence of pneumothorax.",
)
RECOMMEND = ("Recommend follow-up radiograph in 6 weeks.", "Clinical correlation recommended.", "CT may be helpful.",
             "Findings were discussed with the ordering physician.", "Follow-up to resolution is advised.",
             "Consider CT for further evaluation.", "Recommend repeat film after treatment.",
             "Findings called to Dr. XXXX at XXXX.", "Correlate clinically.", "Comparison with old films would help.")
CHANGE = ("unchanged since {date}", "stable compared to the prior", "new since the prior study", "improved from prior",
          "unchanged from prior exam", "similar to the prior radiograph", "increased since {date}", "decreased")
TITLES = ("CHEST PA AND LATERAL", "XR CHEST 2 VIEWS", "CHEST 1 VIEW PORTABLE", "Radiograph of the chest",
          "CHEST X-RAY", "PORTABLE CHEST", "Chest PA/Lat", "DX CHEST 2V", "CXR", "X-ray chest AP portable",
          "EXAM: CHEST TWO VIEWS", "Chest radiograph, frontal and lateral", "CHEST (PA AND LAT)", "Chest 1V",
          "XR Chest AP Only")
PLACEHOLDERS = ("XXXX", "XXXX", "___", "[**...**]", "**")


class Writer:
    """Draws reports' sections and the other text around them from the bank, from one seeded `rng`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, seq: tuple[str, ...]) -> str:
        return self.rng.choice(seq)

    def fill(self, form: str) -> str:
        r = self.rng
        sex, s = r.choice(SEX)
        age = r.choice(AGES).format(n=r.randint(1, 99), sex=sex, s=s)
        c, c2 = r.sample(COMPLAINTS, 2)
        side = r.choice(("right", "left", "right", "left", "bilateral"))
        return form.format(age=age, c=c, c2=c2, C=c[0].upper() + c[1:], C2=c2[0].upper() + c2[1:], R=r.choice(REASONS),
                           r=r.choice(REASONS).rstrip(".").lower(), h=r.choice(HISTORIES), H=r.choice(HISTORIES),
                           date=r.choice(DATES), date2=r.choice(DATES), side=side, Side=side.title(),
                           size=r.randint(3, 60), num=r.randint(10**6, 10**9), k=r.randint(2, 14),
                           event=r.choice(EVENTS), when=r.choice(WHENS), dx=r.choice(DXS), title=r.choice(TITLES))

    def _findings(self, abnormal: list[tuple[str, str]]) -> list[str]:
        r = self.rng
        findings = [self.fill(f) for f, _ in abnormal]
        if abnormal and r.random() < 0.3:  # a change statement: "prior" inside the findings
            i = r.randrange(len(findings))
            findings[i] = findings[i].rstrip(".") + ", " + self.fill(self.pick(CHANGE)) + "."
        organs = list(NORMAL)
        for organ in r.sample(organs, r.randint(1, len(organs))):
            findings.append(self.pick(NORMAL[organ]))
            if r.random() < 0.3:
                findings.append(self.pick(NORMAL[organ]))
        findings = list(dict.fromkeys(findings))
        if r.random() < 0.5:
            r.shuffle(findings)
        return findings[: r.choice((1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8))]

    def _impression(self, abnormal: list[tuple[str, str]], findings: list[str]) -> list[str]:
        r = self.rng
        style = r.random()
        if abnormal and style < 0.7:
            out = [self.fill(i) for _, i in abnormal]
        elif findings and style < 0.85:  # the impression restates findings sentences
            out = r.sample(findings, min(len(findings), r.randint(1, 2)))
        else:
            out = [self.pick(NEGATIVE)]
        if abnormal and r.random() < 0.25:
            out.append(self.pick(NEGATIVE))
        if r.random() < 0.15:
            out.append(self.pick(RECOMMEND))
        if len(out) > 1 and r.random() < 0.35:
            out = [f"{i}. {s}" for i, s in enumerate(out, start=1)]
        elif len(out) == 1 and r.random() < 0.1:
            out = [f"1. {out[0]}"]
        return out

    def sections(self) -> Gold:
        r = self.rng
        gold = {name: "" for name in NAMES}
        if r.random() < 0.9:
            gold["indication"] = self.fill(self.pick(INDICATION_FORMS))
        if r.random() < 0.7:
            gold["comparison"] = self.fill(self.pick(COMPARISON_FORMS)).strip()
        abnormal = r.sample(ABNORMAL, r.choice((0, 0, 0, 1, 1, 2, 3)))
        findings = self._findings(abnormal)
        if r.random() < 0.9:
            gold["findings"] = " ".join(findings)
        impression = self._impression(abnormal, findings)
        if r.random() < 0.93 or not gold["findings"]:
            gold["impression"] = ("\n" if r.random() < 0.4 else " ").join(impression)
        if r.random() < 0.2:
            gold = {name: self.mask(text) for name, text in gold.items()}
        return gold

    def mask(self, text: str) -> str:
        """A few words replaced by one de-identification placeholder, as some exports mask them."""
        r = self.rng
        mark = r.choice(PLACEHOLDERS)
        words = text.split(" ")
        for i in r.sample(range(len(words)), max(0, min(len(words) - 1, r.choice((0, 1, 1, 2))))):
            if words[i][:1].isalpha() and len(words[i]) > 3:
                words[i] = mark + (words[i][-1] if words[i][-1] in ".," else "")
        return " ".join(words)

    def other(self, kind: tuple[str, ...]) -> str:
        return self.fill(self.pick(kind))
