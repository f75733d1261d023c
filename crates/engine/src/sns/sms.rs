//! SMS of one account and region: attributes, numbers opted out, the sandbox's numbers. Each
//! operation is a method that changes or reads the state under its lock and returns; no
//! caller code runs while the lock is held.

use std::collections::BTreeMap;

use super::error::SnsError;
use super::mobile::SandboxNumber;
use super::SnsEngine;

impl SnsEngine {
    /// `SetSMSAttributes`.
    pub fn set_sms_attributes(
        &self,
        account: &str,
        region: &str,
        attributes: &[(String, String)],
    ) -> Result<(), SnsError> {
        self.region(account, region)
            .sms
            .lock()
            .set_attributes(attributes)
    }

    /// `GetSMSAttributes`: all attributes, or the named ones.
    pub fn sms_attributes(
        &self,
        account: &str,
        region: &str,
        names: &[String],
    ) -> BTreeMap<String, String> {
        self.region(account, region)
            .sms
            .lock()
            .get_attributes(names)
    }

    /// `CheckIfPhoneNumberIsOptedOut`.
    pub fn is_opted_out(&self, account: &str, region: &str, phone: &str) -> bool {
        self.region(account, region)
            .sms
            .lock()
            .opted_out
            .contains(phone)
    }

    /// `ListPhoneNumbersOptedOut`, in number order.
    pub fn opted_out_numbers(&self, account: &str, region: &str) -> Vec<String> {
        self.region(account, region)
            .sms
            .lock()
            .opted_out
            .iter()
            .cloned()
            .collect()
    }

    /// `OptInPhoneNumber`.
    pub fn opt_in(&self, account: &str, region: &str, phone: &str) {
        self.region(account, region)
            .sms
            .lock()
            .opted_out
            .remove(phone);
    }

    /// A recipient replied STOP: the number is opted out.
    pub fn opt_out(&self, account: &str, region: &str, phone: &str) {
        self.region(account, region)
            .sms
            .lock()
            .opted_out
            .insert(phone.to_owned());
    }

    /// `CreateSMSSandboxPhoneNumber`: a pending number with its one-time password.
    pub fn add_sandbox_number(&self, account: &str, region: &str, phone: &str, otp: &str) {
        self.region(account, region).sms.lock().sandbox.insert(
            phone.to_owned(),
            SandboxNumber {
                verified: false,
                one_time_password: otp.to_owned(),
            },
        );
    }

    /// `VerifySMSSandboxPhoneNumber`.
    pub fn verify_sandbox_number(
        &self,
        account: &str,
        region: &str,
        phone: &str,
        otp: &str,
    ) -> Result<(), SnsError> {
        let store = self.region(account, region);
        let mut sms = store.sms.lock();
        match sms.sandbox.get_mut(phone) {
            None => Err(SnsError::ResourceNotFound("Resource does not exist".into())),
            Some(n) if n.one_time_password != otp => {
                Err(SnsError::Verification("Invalid one-time password".into()))
            }
            Some(n) => {
                n.verified = true;
                Ok(())
            }
        }
    }

    /// `DeleteSMSSandboxPhoneNumber`: whether the number was there.
    pub fn remove_sandbox_number(&self, account: &str, region: &str, phone: &str) -> bool {
        self.region(account, region)
            .sms
            .lock()
            .sandbox
            .remove(phone)
            .is_some()
    }

    /// `ListSMSSandboxPhoneNumbers`: each number and whether it is verified.
    pub fn sandbox_numbers(&self, account: &str, region: &str) -> Vec<(String, bool)> {
        self.region(account, region)
            .sms
            .lock()
            .sandbox
            .iter()
            .map(|(phone, n)| (phone.clone(), n.verified))
            .collect()
    }
}
