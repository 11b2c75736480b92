import { ArnFormat, CustomResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Config } from '#shared/model/config';
import { PREFERENCES_DOCUMENT } from '../patterns';
import { preferencesDocument } from '../preferences/document';
import type { Functions } from './functions';

export interface PreferencesProps {
  config: Config;
  functions: Functions;
  logGroupName: string;
  groupEncrypted: boolean;
}

/**
 * Optional (stack.managePreferences): owns SSM-SessionManagerRunShell so every shell session streams
 * to the monitored group; deleting the stack restores the previous preferences (infra/preferences/provider.ts).
 */
export class Preferences extends Construct {
  constructor(scope: Construct, id: string, props: PreferencesProps) {
    super(scope, id);
    const provider = props.functions.create('preferences', {
      entry: 'infra/preferences/provider.ts',
      timeoutSeconds: 60,
    });
    const documentArn = Stack.of(this).formatArn({
      service: 'ssm',
      resource: 'document',
      resourceName: PREFERENCES_DOCUMENT,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    provider.allow(
      'ManagePreferencesDocument',
      [
        'ssm:GetDocument',
        'ssm:CreateDocument',
        'ssm:UpdateDocument',
        'ssm:UpdateDocumentDefaultVersion',
        'ssm:DeleteDocument',
      ],
      [documentArn],
    );
    const content = preferencesDocument(props.config, props.logGroupName, props.groupEncrypted);
    new CustomResource(this, 'Document', {
      serviceToken: provider.fn.functionArn,
      resourceType: 'Custom::SessionManagerPreferences',
      properties: { DocumentName: PREFERENCES_DOCUMENT, Content: JSON.stringify(content) },
    });
  }
}
