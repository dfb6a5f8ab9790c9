import requests
import csv

BASE_URL = "https://your-jhe-instance.com"
ACCESS_TOKEN = "your-access-token"
ORGANIZATION_ID = 1


def create_patient(email, family_name, given_name, birth_date, phone=None):
    response = requests.post(
        f"{BASE_URL}/api/v1/patients",
        headers={
            "Authorization": f"Bearer {ACCESS_TOKEN}",
            "Content-Type": "application/json",
        },
        json={
            "telecomEmail": email,
            "nameFamily": family_name,
            "nameGiven": given_name,
            "birthDate": birth_date,
            "telecomPhone": phone,
            "organizationId": ORGANIZATION_ID,
        },
    )

    if response.status_code == 201:
        patient = response.json()
        print(f"Created patient {patient['id']}: {given_name} {family_name}")
        return patient
    else:
        print(f"Error creating {given_name} {family_name}: {response.text}")
        return None


def generate_invitation(patient_id):
    response = requests.get(
        f"{BASE_URL}/api/v1/patients/{patient_id}/invitation_link?send_email=true",
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
    )

    if response.status_code == 200:
        data = response.json()
        print(f"  Invitation sent: {data['invitationLink']}")
    else:
        print(f"  Error generating invitation: {response.text}")


# Read from CSV
with open("patients.csv", "r") as f:
    reader = csv.DictReader(f)
    for row in reader:
        patient = create_patient(
            email=row["email"],
            family_name=row["last_name"],
            given_name=row["first_name"],
            birth_date=row["dob"],
            phone=row.get("phone"),
        )

        if patient:
            generate_invitation(patient["id"])

print("Bulk import complete!")
